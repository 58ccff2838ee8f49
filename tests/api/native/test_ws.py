"""The native WebSocket with an Autobahn client over an in-memory connection and a fake clock."""

import json

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from twisted.internet.address import IPv4Address
from twisted.test import iosim

from exchangesim.engine import Side
from exchangesim.service import native_websocket, venue_streams
from exchangesim.signing import sign

from .support import BOB_KEY, BOB_SECRET, RestCase, place_limit


class _Client(WebSocketClientProtocol):
    def onOpen(self):
        self.factory.opened = True

    def onMessage(self, payload, isBinary):
        message = json.loads(payload)
        self.factory.received += message["messages"] if message["type"] == "BATCH" else [message]
        self.factory.frames += 1

    def onClose(self, wasClean, code, reason):
        self.factory.closed = (code, reason)


class WebSocketCase(RestCase):
    def setUp(self):
        super().setUp()
        self.server_factory = native_websocket(self.venue, venue_streams(self.venue))

    def connect(self):
        client_factory = WebSocketClientFactory("ws://sim/ws", reactor=self.clock)
        client_factory.protocol = _Client
        client_factory.opened, client_factory.received, client_factory.frames = False, [], 0
        client_factory.closed = None
        address = IPv4Address("TCP", "127.0.0.1", 1)
        server = self.server_factory.buildProtocol(address)
        client = client_factory.buildProtocol(address)
        pump = iosim.connect(server, iosim.makeFakeServer(server), client, iosim.makeFakeClient(client))
        pump.flush()
        assert client_factory.opened
        return client, pump

    def exchange(self, client, pump, *operations):
        """Send operations, let the server flush, and return (and forget) what arrived."""
        for operation in operations:
            client.sendMessage(json.dumps(operation).encode() if isinstance(operation, dict) else operation)
        self.settle(pump)
        received, client.factory.received = client.factory.received, []
        return received

    def settle(self, pump):
        pump.flush()
        self.clock.advance(0)
        pump.flush()

    def place(self, account, side, price, quantity, symbol="BTC/USD"):
        return place_limit(self.venue, account, side, price, quantity, symbol)

    def watch_bob(self, client, pump):
        """Authenticate as bob and subscribe to his ORDERS, FILLS and BALANCES; returns the replies."""
        timestamp = self.venue.now_ms()
        auth = {
            "op": "auth",
            "api_key": BOB_KEY,
            "timestamp": timestamp,
            "signature": sign(BOB_SECRET, timestamp, "GET", "/ws"),
        }
        assert self.exchange(client, pump, auth) == [{"type": "AUTHENTICATED", "account": "bob"}]
        return self.exchange(
            client, pump, *({"op": "subscribe", "channel": c} for c in ("ORDERS", "FILLS", "BALANCES"))
        )


class OperationTests(WebSocketCase):
    def test_ping(self):
        client, pump = self.connect()
        assert self.exchange(client, pump, {"op": "ping"}) == [{"type": "PONG", "ts": 1_700_000_000_000}]

    def test_bad_operations_are_answered_and_the_connection_lives_on(self):
        client, pump = self.connect()
        replies = self.exchange(
            client,
            pump,
            b"{not json",
            b"[1]",
            {"op": "dance"},
            {"op": "subscribe", "channel": "NEWS", "symbol": "BTC/USD"},
            {"op": "subscribe", "channel": "TICKER", "symbol": "DOGE/USD"},
            {"op": "subscribe", "channel": "ORDERS"},
            {"op": "unsubscribe", "channel": "TRADES", "symbol": "BTC/USD"},
            {"op": "ping"},
        )
        codes = [
            (r["error"]["code"], r["error"].get("field")) if r["type"] == "ERROR" else r["type"]
            for r in replies
        ]
        assert codes == [
            ("INVALID_JSON", "message"),
            ("INVALID_JSON", "message"),
            ("UNKNOWN_OP", "op"),
            ("UNKNOWN_CHANNEL", "channel"),
            ("UNKNOWN_SYMBOL", "symbol"),
            ("AUTH_REQUIRED", "channel"),
            ("NOT_SUBSCRIBED", "channel"),
            "PONG",
        ]
        assert replies[4]["symbol"] == "DOGE/USD"

    def test_binary_frames_are_refused(self):
        client, pump = self.connect()
        client.sendMessage(b"\x00\x01", isBinary=True)
        self.settle(pump)
        assert client.factory.received[0]["error"]["code"] == "BINARY_FRAME"

    def test_an_op_of_the_wrong_type_is_an_unknown_op(self):
        client, pump = self.connect()
        replies = self.exchange(client, pump, {"op": ["subscribe"]}, {"op": {"a": 1}}, {"op": 1})
        assert [r["error"]["code"] for r in replies] == ["UNKNOWN_OP"] * 3

    def test_a_field_an_operation_does_not_take_is_refused_by_name(self):
        client, pump = self.connect()
        replies = self.exchange(
            client,
            pump,
            {"op": "subscribe", "channel": "BOOK", "symbol": "BTC/USD", "depth": 100},
            {"op": "ping", "id": 7},
            {"op": "subscribe", "channel": "TICKER", "symbol": 5},
        )
        assert [(r["error"]["code"], r["error"]["field"]) for r in replies] == [
            ("UNKNOWN_FIELD", "depth"),
            ("UNKNOWN_FIELD", "id"),
            ("UNKNOWN_SYMBOL", "symbol"),
        ]
        assert replies[2]["symbol"] == "5"  # echoed as text, not an internal error

    def test_a_message_deeper_than_the_stack_is_refused(self):
        client, pump = self.connect()
        (reply,) = self.exchange(client, pump, b'{"op": ' + b"[" * 900 + b"]" * 900 + b"}")
        assert (reply["error"]["code"], reply["error"]["field"]) == ("INVALID_JSON", "message")

    def test_an_oversized_message_closes_with_1009_and_a_reason(self):
        client, pump = self.connect()
        client.sendMessage(b'{"op": "ping", "pad": "' + b"x" * 70_000 + b'"}')
        self.settle(pump)
        code, reason = client.factory.closed
        assert code == 1009 and reason

    def test_a_flooding_client_is_closed_with_1008(self):
        client, pump = self.connect()
        self.exchange(client, pump, *[{"op": "ping"}] * 101)
        assert client.factory.closed[0] == 1008


class StreamTests(WebSocketCase):
    def test_ticker_sends_a_snapshot_then_moves_with_trades(self):
        client, pump = self.connect()
        ack, snapshot = self.exchange(
            client, pump, {"op": "subscribe", "channel": "TICKER", "symbol": "BTC/USD"}
        )
        assert ack == {"type": "SUBSCRIBED", "channel": "TICKER", "symbol": "BTC/USD"}
        assert (snapshot["type"], snapshot["snapshot"], snapshot["last_price"], snapshot["seq"]) == (
            "MARKET_DATA",
            True,
            None,
            0,
        )
        self.place("default", Side.SELL, "50000", "1")
        self.place("bob", Side.BUY, "50000", "0.1")
        messages = self.exchange(client, pump)
        assert [(m["seq"], m["best_ask"], m["last_price"]) for m in messages] == [
            (1, "50000.00", None),
            (2, "50000.00", "50000.00"),
        ]

    def test_book_snapshot_plus_deltas_equals_the_rest_order_book(self):
        self.place("default", Side.BUY, "49000", "1")
        client, pump = self.connect()
        _, snapshot = self.exchange(client, pump, {"op": "subscribe", "channel": "BOOK", "symbol": "BTC/USD"})
        self.place("default", Side.SELL, "51000", "2")
        self.place("bob", Side.BUY, "51000", "0.5")
        self.place("default", Side.BUY, "49000", "0.25")
        deltas = self.exchange(client, pump)
        assert [d["seq"] for d in deltas] == list(
            range(snapshot["seq"] + 1, snapshot["seq"] + 1 + len(deltas))
        )
        book = {"BUY": dict(snapshot["bids"]), "SELL": dict(snapshot["asks"])}
        for delta in deltas:
            book[delta["side"]][delta["price"]] = delta["quantity"]
        code, rest = self.call("GET", "/orderbook?symbol=BTC/USD")
        assert code == 200, rest
        rebuilt = {
            side: sorted([p, q] for p, q in levels.items() if q != "0.0000") for side, levels in book.items()
        }
        assert (rebuilt["BUY"], rebuilt["SELL"], deltas[-1]["seq"]) == (
            rest["bids"],
            rest["asks"],
            rest["sequence"],
        )

    def test_candles_update_with_trades_and_close_on_the_clock(self):
        client, pump = self.connect()
        ack, snapshot = self.exchange(
            client, pump, {"op": "subscribe", "channel": "CANDLES", "symbol": "BTC/USD", "interval": "1s"}
        )
        assert ack == {"type": "SUBSCRIBED", "channel": "CANDLES", "symbol": "BTC/USD", "interval": "1s"}
        assert (snapshot["snapshot"], snapshot["seq"], snapshot["candle"]["close"]) == (True, 0, "50000.00")
        self.place("default", Side.SELL, "50200", "1")
        self.place("bob", Side.BUY, "50200", "0.25")
        (update,) = self.exchange(client, pump)
        assert (update["seq"], update["interval"], update["candle"]["close"], update["candle"]["closed"]) == (
            1,
            "1s",
            "50200.00",
            False,
        )
        self.clock.advance(1)
        self.venue.statistics.close_candles(self.venue.now_ms())
        (closed,) = self.exchange(client, pump)
        assert (closed["seq"], closed["candle"]["volume"], closed["candle"]["closed"]) == (2, "0.2500", True)
        replies = self.exchange(
            client, pump, {"op": "subscribe", "channel": "CANDLES", "symbol": "BTC/USD", "interval": "7m"}
        )
        assert [(r["error"]["code"], r["error"]["field"], r["interval"]) for r in replies] == [
            ("INVALID_PARAMETER", "interval", "7m")
        ]

    def test_a_conflated_book_sends_what_changed_once_per_interval(self):
        self.place("default", Side.BUY, "49000", "1")
        client, pump = self.connect()
        subscribe = {"op": "subscribe", "channel": "BOOK", "symbol": "BTC/USD", "interval_ms": 100}
        ack, snapshot = self.exchange(client, pump, subscribe)
        assert ack == {"type": "SUBSCRIBED", "channel": "BOOK", "symbol": "BTC/USD", "interval_ms": 100}
        assert (snapshot["seq"], snapshot["bids"]) == (0, [["49000.00", "1.0000"]])
        self.place("default", Side.BUY, "49000", "0.5")
        self.place("default", Side.BUY, "49000", "0.25")  # the same level twice: one entry, its last size
        self.place("default", Side.SELL, "51000", "2")
        assert self.exchange(client, pump) == []  # nothing before the interval ends
        self.clock.advance(0.1)
        (update,) = self.exchange(client, pump)
        code, rest = self.call("GET", "/orderbook?symbol=BTC/USD")
        assert code == 200
        assert (update["seq"], update["interval_ms"], update["book_sequence"]) == (1, 100, rest["sequence"])
        book = {"BUY": dict(snapshot["bids"]), "SELL": dict(snapshot["asks"])}
        for level in update["levels"]:
            book[level["side"]][level["price"]] = level["quantity"]
        assert [list(item) for item in book["BUY"].items()] == rest["bids"]
        assert [list(item) for item in book["SELL"].items()] == rest["asks"]
        self.clock.advance(0.1)
        assert self.exchange(client, pump) == []  # a quiet interval sends nothing

    def test_a_conflated_ticker_and_the_interval_rules(self):
        client, pump = self.connect()
        subscribe = {"op": "subscribe", "channel": "TICKER", "symbol": "BTC/USD", "interval_ms": 50}
        self.exchange(client, pump, subscribe)
        for price in ("49000", "49100", "49200"):
            self.place("default", Side.BUY, price, "0.1")
        self.clock.advance(0.05)
        (update,) = self.exchange(client, pump)
        assert (update["seq"], update["best_bid"]) == (1, "49200.00")
        refused = self.exchange(
            client,
            pump,
            {**subscribe, "interval_ms": 5},
            {**subscribe, "interval_ms": 12.5},
            {**subscribe, "interval_ms": "100"},
            {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD", "interval_ms": 100},
        )
        assert [(r["error"]["code"], r["error"]["field"]) for r in refused] == [
            ("INVALID_PARAMETER", "interval_ms")
        ] * 4
        self.exchange(
            client, pump, {"op": "unsubscribe", **{k: v for k, v in subscribe.items() if k != "op"}}
        )
        self.clock.advance(0.05)  # the last subscriber of 50 ms left: its timer stops
        assert not self.clock.getDelayedCalls()

    def test_trades_carry_a_contiguous_seq(self):
        self.place("default", Side.SELL, "50000", "1")
        client, pump = self.connect()
        self.exchange(client, pump, {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD"})
        for _ in range(3):
            self.place("bob", Side.BUY, "50000", "0.1")
        trades = self.exchange(client, pump)
        assert [(t["seq"], t["price"], t["quantity"], t["side"]) for t in trades] == [
            (n, "50000.00", "0.1000", "BUY") for n in (1, 2, 3)
        ]

    def test_private_channels_after_auth(self):
        client, pump = self.connect()
        replies = self.watch_bob(client, pump)
        assert replies[-1]["snapshot"] is True and replies[-1]["balances"]["USD"]["available"] == "100000"
        self.place("default", Side.SELL, "50000", "1")
        self.place("bob", Side.BUY, "50000", "0.1")
        messages = self.exchange(client, pump)
        channels = [m["channel"] for m in messages]
        assert channels.count("FILLS") == 1 and "BALANCES" in channels
        orders = [m for m in messages if m["channel"] == "ORDERS"]
        assert [m["event"] for m in orders] == ["ACCEPTED", "FILLED"]
        assert all(m["account"] == "bob" for m in messages)

    def test_a_maker_filled_hears_of_it_right_after_its_fill(self):
        self.place("bob", Side.SELL, "50000", "0.1")
        self.place("bob", Side.SELL, "50010", "0.1")
        client, pump = self.connect()
        self.watch_bob(client, pump)
        self.place("default", Side.BUY, "50010", "0.15")  # fills bob's first order, half his second
        messages = self.exchange(client, pump)
        assert [(m["channel"], m.get("event"), m.get("price")) for m in messages] == [
            ("FILLS", None, "50000.00"),
            ("ORDERS", "FILLED", None),
            ("FILLS", None, "50010.00"),
            ("BALANCES", None, None),  # BTC and USD, once each
            ("BALANCES", None, None),
        ]
        assert (messages[1]["order"]["price"], messages[1]["order"]["status"]) == ("50000.00", "FILLED")

    def test_cancel_all_sends_an_asset_two_symbols_share_once(self):
        self.place("bob", Side.BUY, "49000", "0.1")
        self.place("bob", Side.BUY, "2900", "1", symbol="ETH/USD")
        client, pump = self.connect()
        self.watch_bob(client, pump)
        self.venue.exchange.cancel_all("bob", ts=self.venue.now_ms())
        messages = self.exchange(client, pump)
        assert [m.get("event") for m in messages if m["channel"] == "ORDERS"] == ["CANCELED", "CANCELED"]
        balances = [m["balances"] for m in messages if m["channel"] == "BALANCES"]
        assert sorted(asset for balance in balances for asset in balance) == ["BTC", "ETH", "USD"]
        assert {"USD": {"available": "100000", "locked": "0", "total": "100000"}} in balances

    def test_a_bad_signature_is_refused(self):
        client, pump = self.connect()
        [reply] = self.exchange(
            client,
            pump,
            {"op": "auth", "api_key": BOB_KEY, "timestamp": self.venue.now_ms(), "signature": "00"},
        )
        assert reply["error"]["code"] == "INVALID_SIGNATURE"

    def test_batching_packs_one_frame_per_turn(self):
        self.place("default", Side.SELL, "50000", "1")
        client, pump = self.connect()
        self.exchange(
            client, pump, {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD", "batch": True}
        )
        client.factory.frames = 0
        for _ in range(5):
            self.place("bob", Side.BUY, "50000", "0.1")
        trades = self.exchange(client, pump)
        assert [t["seq"] for t in trades] == [1, 2, 3, 4, 5]
        assert client.factory.frames == 1

    def test_a_client_too_far_behind_is_closed_with_1013(self):
        self.place("default", Side.SELL, "50000", "2")
        client, pump = self.connect()
        self.exchange(client, pump, {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD"})
        server = pump.server
        server.outbox.pauseProducing()  # as a transport does when the client stops reading
        for _ in range(self.venue.config.server.ws_send_queue_limit + 1):
            self.place("bob", Side.BUY, "50000", "0.0001")
        self.settle(pump)
        assert client.factory.closed[0] == 1013


class BinanceSubscribeTests(WebSocketCase):
    def test_a_binance_subscribe_on_the_native_ws_is_refused_as_an_unknown_op(self):
        """binance-connector's default stream client (``is_combined=False``) connects to bare ``/ws``."""
        self.place("default", Side.SELL, "50000", "1")
        client, pump = self.connect()
        subscribe = {"method": "SUBSCRIBE", "params": ["btcusd@trade"], "id": 1}
        [reply] = self.exchange(client, pump, subscribe)
        error = reply["error"]
        assert reply["type"] == "ERROR" and (error["code"], error["field"]) == ("UNKNOWN_OP", "op")
        self.place("bob", Side.BUY, "50000", "0.1")
        assert self.exchange(client, pump) == [] and client.factory.closed is None  # subscribed to nothing
