"""``exchangesim.testing``: the whole venue in memory, as a user's unit tests get it (trial or pytest)."""

from __future__ import annotations

import json

import ccxt
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.config import ConfigError
from exchangesim.testing import START, NoAnswerError, venue

QUIET = "[liquidity]\nenabled = false\n[exchange]\ntick_interval_ms = 100\n"
ORDER = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "40000"}


def trades(memory, symbol="BTC/USD"):
    return memory.call("GET", f"/api/v1/trades?symbol={symbol}&limit=1000").json()["trades"]


class StartTests(SynchronousTestCase):
    def test_a_venue_starts_at_a_fixed_time_with_the_seed_and_serves_both_dialects(self):
        with venue(seed=7) as memory:
            health = memory.call("GET", "/api/v1/health").json()
            assert (health["status"], health["seed"], health["market_time"]) == ("ok", 7, START * 1000)
            assert memory.call("GET", "/api/v3/ticker/price?symbol=BTCUSD").json()["symbol"] == "BTCUSD"
            assert memory.call("GET", "/api/v1/admin/failures").status == 401  # no token, no admin

    def test_a_config_is_ini_text_a_path_or_a_config_and_is_checked(self):
        with venue(QUIET) as memory:
            assert memory.config.exchange.tick_interval_ms == 100
            assert not memory.config.liquidity.enabled
            assert memory.config.failures.enabled and not memory.config.persistence.enabled
        self.assertRaises(ConfigError, venue, "[exchange]\nno_such_key = 1\n")


class ClockTests(SynchronousTestCase):
    def test_time_moves_only_when_advanced(self):
        with venue() as memory:
            assert trades(memory) == []
            memory.advance(0)
            assert memory.now_ms() == START * 1000
            memory.advance(2.5)
            assert memory.now_ms() == START * 1000 + 2500
            assert trades(memory), "two seconds and a half of the default market trade"

    def test_one_seed_gives_the_same_trades_whatever_the_steps_another_seed_others(self):
        def run(seed, step_ms, splits):
            with venue(seed=seed, market_step_ms=step_ms) as memory:
                for _ in range(splits):
                    memory.advance(3.0 / splits)
                return trades(memory) + trades(memory, "ETH/USD")

        reference = run(5, 50, 1)
        assert len(reference) > 20
        assert run(5, 1, 7) == reference
        assert run(5, 200, 2) == reference
        assert run(6, 50, 1) != reference


class ClientTests(SynchronousTestCase):
    def test_an_order_over_the_synchronous_call_and_over_treq(self):
        with venue(QUIET) as memory:
            account = memory.new_account({"USD": "1000"})
            placed = memory.call("POST", "/api/v1/orders", ORDER, account=account)
            assert (placed.status, placed.json()["status"]) == (201, "NEW")
            response = self.successResultOf(
                memory.http.get(f"{memory.base_url}/api/v1/balance", headers={"X-API-Key": account.api_key})
            )
            assert response.code == 200
            balance = self.successResultOf(memory.http.json_content(response))
            assert balance["balances"]["USD"] == {"available": "600", "locked": "400", "total": "1000"}

    def test_the_websocket_streams_the_market_as_it_advances(self):
        with venue() as memory:
            stream = memory.websocket("/ws")
            stream.send({"op": "subscribe", "channel": "TICKER", "symbol": "BTC/USD"})
            memory.advance(1.0)
            messages = [m for m in stream.take() if m.get("type") == "MARKET_DATA"]
            assert len(messages) > 3
            assert [m["seq"] for m in messages] == list(range(len(messages)))
            binance = memory.websocket("/ws/btcusd@trade")
            memory.advance(1.0)
            assert {m["e"] for m in binance.take()} == {"trade"}
            stream.close()
            assert stream.closed[0] == 1000


class FaultTests(SynchronousTestCase):
    def test_an_injected_error_answers_the_client_and_is_audited_with_both_statuses(self):
        with venue(QUIET) as memory:
            account = memory.new_account({"USD": "1000"})
            memory.admin.add_fault(
                "lying", mode="error", stage="post_engine", route="POST /api/v1/orders", status=503
            )
            answer = memory.call(
                "POST", "/api/v1/orders", {**ORDER, "client_order_id": "x-1"}, account=account
            )
            assert answer.status == 503
            (event,) = memory.faults_injected()
            assert (event["fault"], event["client_order_id"]) == ("lying", "x-1")
            assert (event["engine_status"], event["client_status"], event["http_status"]) == (201, 503, 201)
            orders = memory.call("GET", "/api/v1/orders?symbol=BTC/USD", account=account).json()["orders"]
            assert [o["client_order_id"] for o in orders] == ["x-1"]  # the engine took it all the same

    def test_a_delayed_answer_arrives_once_the_clock_has_moved(self):
        with venue(QUIET) as memory:
            memory.admin.add_fault("slow", mode="delay", route="GET /api/v1/ticker", base_ms="2s")
            self.assertRaises(NoAnswerError, memory.call, "GET", "/api/v1/ticker?symbol=BTC/USD")
            pending = memory.http.get(f"{memory.base_url}/api/v1/ticker?symbol=BTC/USD")
            memory.advance(1.9)
            self.assertNoResult(pending)
            memory.advance(0.2)
            assert self.successResultOf(pending).code == 200
            delays = [event["delay_ms"] for event in memory.faults_injected()]
            assert delays == [2000, 2000]

    def test_a_dropped_acknowledgement_is_audited_as_unanswered(self):
        with venue(QUIET) as memory:
            memory.admin.add_fault("ack-loss", mode="drop", stage="post_engine", route="POST /api/v1/orders")
            self.assertRaises(NoAnswerError, memory.call, "POST", "/api/v1/orders", ORDER)
            memory.advance(5)
            (event,) = memory.faults_injected()
            assert (event["action"], event["engine_status"], event["client_status"]) == ("drop", 201, None)

    def test_a_websocket_fault_acts_in_memory(self):
        with venue() as memory:
            memory.admin.add_fault("lossy", mode="drop", layer="ws", channel="TICKER", probability=1)
            stream = memory.websocket("/ws")
            stream.send({"op": "subscribe", "channel": "TICKER", "symbol": "BTC/USD"})
            memory.advance(1.0)
            assert not [m for m in stream.take() if m.get("type") == "MARKET_DATA"]
            assert {event["layer"] for event in memory.faults_injected()} == {"ws"}

    def test_the_log_holds_the_requests_and_the_venue_stops_cleanly(self):
        memory = venue(QUIET)
        memory.call("GET", "/api/v1/symbols")
        memory.stop()
        assert '"GET /api/v1/symbols HTTP/1.1" 200' in memory.log
        assert "exchangesim stopped" in memory.log
        assert json.loads(json.dumps(memory.faults_injected())) == []


class CcxtTests(SynchronousTestCase):
    def test_stock_ccxt_trades_in_memory_and_meets_the_faults(self):
        with venue(QUIET) as memory:
            account = memory.new_account({"USD": "10000", "BTC": "1"})
            exchange = memory.ccxt(account)
            exchange.load_markets()
            order = exchange.create_order("BTC/USD", "limit", "buy", 0.01, 45000)
            assert exchange.fetch_order(order["id"], "BTC/USD")["status"] == "open"
            memory.advance(30)  # signatures are stamped on the venue's clock, so they stay valid
            memory.admin.add_fault("lost", mode="drop", stage="post_engine", route="POST /api/v3/order")
            with self.assertRaises(ccxt.NetworkError):
                exchange.create_order("BTC/USD", "limit", "buy", 0.01, 45000)
            assert len(exchange.fetch_open_orders("BTC/USD")) == 2  # the engine took the lost one
            assert [(e["fault"], e["client_status"]) for e in memory.faults_injected()] == [("lost", None)]
