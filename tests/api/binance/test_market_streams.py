"""Binance market streams with an Autobahn client over an in-memory connection and a fake clock."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

from autobahn.twisted.websocket import WebSocketClientFactory
from treq.testing import StubTreq
from twisted.test import iosim
from twisted.web.server import Site

from exchangesim.api.site import build_root
from exchangesim.engine import Side
from exchangesim.service import binance_market_streams, binance_rest
from tests.failures.wiring import LOOPBACK, FaultCase, WsClient, pump_ws, take


class StreamCase(FaultCase):
    def setUp(self) -> None:
        super().setUp()
        self.listen_keys = self.venue_streams.listen_keys
        self.streams = binance_market_streams(self.venue, self.venue_streams)

    def connect(self, path: str = "/ws/0") -> tuple[WsClient, iosim.IOPump]:
        client_factory = WebSocketClientFactory(f"ws://sim{path}", reactor=self.clock)
        client_factory.protocol = WsClient
        client_factory.opened, client_factory.received, client_factory.closed = False, [], None
        server = self.streams.buildProtocol(LOOPBACK)
        client = client_factory.buildProtocol(LOOPBACK)
        pump = iosim.connect(server, iosim.makeFakeServer(server), client, iosim.makeFakeClient(client))
        pump.flush()
        return client, pump

    def request(self, client, pump, *requests: Any) -> list:
        for request in requests:
            client.sendMessage(request if isinstance(request, bytes) else json.dumps(request).encode())
        pump_ws(self, pump)
        return take(client)

    def subscribed(self, *streams: str) -> tuple[WsClient, iosim.IOPump]:
        client, pump = self.connect()
        reply = self.request(client, pump, {"method": "SUBSCRIBE", "params": list(streams), "id": 1})
        assert reply == [{"result": None, "id": 1}]
        return client, pump

    def received(self, client, pump, seconds: float = 1.0) -> list:
        """What arrived once ``seconds`` passed (a second: every depth window has closed)."""
        pump_ws(self, pump, seconds)
        return take(client)

    def rest_depth(self) -> dict[str, Any]:
        return self.venue.exchange.depth("BTC/USD", 1000)


class RequestTests(StreamCase):
    def test_subscribe_list_and_unsubscribe_by_id(self):
        client, pump = self.connect()
        replies = self.request(
            client,
            pump,
            {"method": "SUBSCRIBE", "params": ["btcusd@depth@100ms", "btcusd@trade"], "id": 1},
            {"method": "LIST_SUBSCRIPTIONS", "id": 2},
            {"method": "UNSUBSCRIBE", "params": ["btcusd@trade"], "id": 3},
            {"method": "LIST_SUBSCRIPTIONS", "id": "four"},
        )
        assert replies == [
            {"result": None, "id": 1},
            {"result": ["btcusd@depth@100ms", "btcusd@trade"], "id": 2},
            {"result": None, "id": 3},
            {"result": ["btcusd@depth@100ms"], "id": "four"},
        ]

    def test_bad_requests_get_binance_errors_and_the_connection_lives_on(self):
        client, pump = self.connect()
        replies = self.request(
            client,
            pump,
            b"{not json",
            {"method": "SUBSCRIBE", "params": ["xyzabc@trade"], "id": 1},
            {"method": "SUBSCRIBE", "params": ["btcusd@kline_7m"], "id": 2},
            {"method": "SUBSCRIBE", "params": ["btcusd@nothing"], "id": 3},
            {"method": "FLY", "params": [], "id": 4},
            {"params": [], "id": 5},
            {"method": "SUBSCRIBE", "params": "btcusd@trade", "id": 6},
            {"method": "LIST_SUBSCRIPTIONS", "id": 7},
        )
        assert replies[0]["error"]["code"] == 3 and replies[0]["id"] is None
        for reply, request_id in zip(replies[1:7], range(1, 7), strict=True):
            assert reply["error"]["code"] == 2 and reply["id"] == request_id, reply
            assert reply["error"]["msg"].startswith("Invalid request")
        assert "xyzabc@trade" in replies[1]["error"]["msg"]
        assert replies[7] == {"result": [], "id": 7}  # nothing was subscribed by the bad ones

    def test_the_combined_property(self):
        client, pump = self.connect()
        replies = self.request(
            client,
            pump,
            {"method": "SET_PROPERTY", "params": ["combined", True], "id": 1},
            {"method": "GET_PROPERTY", "params": ["combined"], "id": 2},
            {"method": "GET_PROPERTY", "params": ["colour"], "id": 3},
        )
        assert replies[:2] == [{"result": None, "id": 1}, {"result": True, "id": 2}]
        assert replies[2]["error"]["code"] == 0


class DepthTests(StreamCase):
    def test_diffs_continue_the_rest_snapshot_without_a_gap(self):
        self.check_diffs_continue_the_snapshot("btcusd@depth@0ms")

    def test_diffs_every_100ms_continue_the_rest_snapshot_without_a_gap(self):
        self.check_diffs_continue_the_snapshot("btcusd@depth@100ms")

    def test_diffs_every_second_continue_the_rest_snapshot_without_a_gap(self):
        self.check_diffs_continue_the_snapshot("btcusd@depth")

    def check_diffs_continue_the_snapshot(self, stream: str) -> None:
        self.place("default", Side.SELL, "50010", "1")
        client, pump = self.subscribed(stream)
        snapshot = self.successResultOf(self._rest_depth())
        book = {"b": dict(snapshot["bids"]), "a": dict(snapshot["asks"])}
        self.quote(5)
        self.trade(3)
        self.place("default", Side.SELL, "50020", "2")
        diffs = self.received(client, pump)
        assert diffs and all(diff["e"] == "depthUpdate" and diff["s"] == "BTCUSD" for diff in diffs)
        assert diffs[0]["U"] == snapshot["lastUpdateId"] + 1
        for before, after in itertools.pairwise(diffs):
            assert after["U"] == before["u"] + 1
        for diff in diffs:
            for side in "ba":
                for price, quantity in diff[side]:
                    if Decimal(quantity):
                        book[side][price] = quantity
                    else:
                        book[side].pop(price, None)
        final = self.successResultOf(self._rest_depth())
        assert diffs[-1]["u"] == final["lastUpdateId"]
        assert book == {"b": dict(final["bids"]), "a": dict(final["asks"])}

    def _rest_depth(self):
        """``GET /api/v3/depth`` as a client sees it."""
        http = StubTreq(binance_rest(self.venue, self.venue_streams).resource())
        d = http.get("http://127.0.0.1/depth?symbol=BTCUSD&limit=1000")
        return d.addCallback(lambda response: response.json())

    def test_a_speed_gathers_that_many_ms_of_changes_into_one_diff(self):
        client, pump = self.subscribed("btcusd@depth@0ms", "btcusd@depth@100ms")
        self.quote(2)
        each = self.received(client, pump, 0)
        assert len(each) == 2 and each[0]["u"] + 1 == each[1]["U"]  # @0ms: one per book change
        self.clock.advance(0.05)
        assert self.received(client, pump, 0) == []
        [gathered] = self.received(client, pump, 0.05)  # the window closes 100 ms after its first change
        assert (gathered["U"], gathered["u"]) == (each[0]["U"], each[1]["u"])
        assert sorted(gathered["b"] + gathered["a"]) == sorted(
            each[0]["b"] + each[0]["a"] + each[1]["b"] + each[1]["a"]
        )

    def test_a_reorder_fault_on_the_depth_channel_makes_a_gap_the_audit_names(self):
        client, pump = self.subscribed("btcusd@depth@0ms", "btcusd@trade")
        self.put_fault("shuffle", mode="reorder", layer="ws", channel="*depth*", nth="2", gap="2")
        self.quote(4)
        self.trade(2)
        received = self.received(client, pump)
        diffs = [message["u"] for message in received if message.get("e") == "depthUpdate"]
        assert diffs != sorted(diffs)
        events = self.audit(action="reorder")
        assert events and all(event["channel"] == "btcusd@depth@0ms" for event in events)
        assert all(event["symbol"] == "BTC/USD" and event["seq"] in diffs for event in events)
        trades = [message for message in received if message.get("e") == "trade"]
        assert len(trades) == 2  # the fault targets the depth stream only


class PartialDepthTests(StreamCase):
    """``<symbol>@depth<levels>[@100ms]``: Binance's snapshot of the top levels on a clock."""

    def test_a_snapshot_of_the_top_levels_every_second_changed_or_not(self):
        self.quote(7)
        self.place("default", Side.SELL, "50010", "1")
        client, pump = self.subscribed("btcusd@depth5")
        assert self.received(client, pump, 0.9) == []
        [snapshot] = self.received(client, pump, 0.1)
        depth = self.venue.exchange.depth("BTC/USD", 5)
        assert snapshot == self.successResultOf(self._rest_depth(limit=5))
        assert (
            set(snapshot) == {"lastUpdateId", "bids", "asks"} and snapshot["lastUpdateId"] == depth.sequence
        )
        assert [level[0] for level in snapshot["bids"]] == [f"{40006 - n}.00" for n in range(5)]
        assert snapshot["asks"] == [["50010.00", "1.0000"]]
        assert self.received(client, pump, 1.0) == [snapshot]  # nothing changed: sent again all the same

    def test_100ms_ten_a_second_and_0ms_one_per_book_change(self):
        client, pump = self.subscribed("btcusd@depth10@100ms", "btcusd@depth20@0ms")
        self.quote(2)
        each = self.received(client, pump, 0)
        assert [len(s["bids"]) for s in each] == [1, 2]
        assert each[1]["lastUpdateId"] == self.venue.exchange.depth("BTC/USD", 0).sequence
        assert [len(self.received(client, pump, 0.1)) for _ in range(5)] == [1] * 5
        client.sendMessage(
            json.dumps({"method": "UNSUBSCRIBE", "params": ["btcusd@depth10@100ms"], "id": 2}).encode()
        )
        pump_ws(self, pump)
        take(client)
        assert self.received(client, pump, 1.0) == []  # its clock stopped with its last listener
        assert not self.clock.getDelayedCalls()

    def test_the_combined_frame_names_the_stream_and_the_levels_are_checked(self):
        client, pump = self.connect("/stream?streams=btcusd@depth5@1000ms")
        [frame] = self.received(client, pump)
        assert frame["stream"] == "btcusd@depth5@1000ms" and set(frame["data"]) == {
            "lastUpdateId",
            "bids",
            "asks",
        }
        client, pump = self.connect()
        for bad in ("btcusd@depth7", "btcusd@depth5@10ms", "btcusd@depth25@100ms"):
            [reply] = self.request(client, pump, {"method": "SUBSCRIBE", "params": [bad], "id": 1})
            assert reply["error"]["code"] == 2, bad

    def _rest_depth(self, limit=1000):
        http = StubTreq(binance_rest(self.venue, self.venue_streams).resource())
        d = http.get(f"http://127.0.0.1/depth?symbol=BTCUSD&limit={limit}")
        return d.addCallback(lambda response: response.json())


class StatisticsStreamTests(StreamCase):
    """``<symbol>@ticker_<window>`` and ``<symbol>@avgPrice``: each second, when they changed."""

    def test_window_tickers_are_get_ticker_under_binance_short_keys(self):
        client, pump = self.subscribed("btcusd@ticker_1h", "btcusd@ticker_4h", "btcusd@ticker_1d")
        self.trade(2)
        events = self.received(client, pump)
        assert [event["e"] for event in events] == ["1hTicker", "4hTicker", "1dTicker"]
        hour = events[0]
        assert list(hour) == [
            "e",
            "E",
            "s",
            "p",
            "P",
            "o",
            "h",
            "l",
            "c",
            "w",
            "v",
            "q",
            "O",
            "C",
            "F",
            "L",
            "n",
        ]
        now = self.venue.now_ms()
        http = StubTreq(binance_rest(self.venue, self.venue_streams).resource())
        rest = self.successResultOf(
            http.get("http://127.0.0.1/ticker?symbol=BTCUSD&windowSize=1h").addCallback(lambda r: r.json())
        )
        assert (hour["s"], hour["E"], hour["C"], hour["O"]) == (
            "BTCUSD",
            now,
            now,
            now - now % 60_000 - 3_600_000,
        )
        assert (hour["o"], hour["c"], hour["v"], hour["n"]) == (
            rest["openPrice"],
            rest["lastPrice"],
            rest["volume"],
            2,
        )
        assert (hour["F"], hour["L"], hour["w"], hour["p"]) == (
            rest["firstId"],
            rest["lastId"],
            rest["weightedAvgPrice"],
            rest["priceChange"],
        )
        assert self.received(client, pump) == []  # unchanged: not sent again
        self.trade(1)
        assert [event["n"] for event in self.received(client, pump)] == [3, 3, 3]

    def test_only_binance_windows(self):
        client, pump = self.connect()
        [reply] = self.request(client, pump, {"method": "SUBSCRIBE", "params": ["btcusd@ticker_2h"], "id": 1})
        assert reply["error"]["code"] == 2 and "ticker window" in reply["error"]["msg"]

    def test_the_average_price_stream(self):
        client, pump = self.subscribed("btcusd@avgPrice")
        self.trade(1)
        [event] = self.received(client, pump)
        http = StubTreq(binance_rest(self.venue, self.venue_streams).resource())
        rest = self.successResultOf(
            http.get("http://127.0.0.1/avgPrice?symbol=BTCUSD").addCallback(lambda r: r.json())
        )
        assert event == {
            "e": "avgPrice",
            "E": self.venue.now_ms(),
            "s": "BTCUSD",
            "i": "5m",
            "w": rest["price"],
            "T": rest["closeTime"],
        }
        assert self.received(client, pump) == []


class PayloadTests(StreamCase):
    def test_trades_and_aggregate_trades(self):
        client, pump = self.subscribed("btcusd@trade", "btcusd@aggTrade")
        self.trade(1)
        trade, agg = self.received(client, pump)
        assert trade["e"] == "trade" and agg["e"] == "aggTrade"
        assert set(trade) == {"e", "E", "s", "t", "p", "q", "T", "m", "M"}
        assert trade["p"] == agg["p"] == "50000.00" and trade["q"] == agg["q"] == "0.0010"
        assert trade["t"] == agg["a"] and trade["m"] is False  # the taker bought

    def test_tickers_report_when_they_move(self):
        self.place("default", Side.BUY, "40000", "0.1")
        client, pump = self.subscribed("btcusd@miniTicker", "btcusd@ticker", "btcusd@bookTicker")
        self.trade(1)
        by_kind = {message.get("e", "book"): message for message in self.received(client, pump)}
        mini, full, book = by_kind["24hrMiniTicker"], by_kind["24hrTicker"], by_kind["book"]
        assert mini["c"] == full["c"] == "50000.00" and mini["v"] == full["v"]
        assert {"b", "B", "a", "A", "o", "h", "l", "q", "p", "P"} <= set(full)
        assert book["s"] == "BTCUSD" and book["a"] == "50000.00" and book["b"] == "40000.00"
        assert book["u"] == self.rest_depth().sequence
        self.place("default", Side.BUY, "100", "0.1")  # a deep bid: top and last unchanged
        assert self.received(client, pump) == []

    def test_klines_of_the_candle_in_progress_and_closed_ones(self):
        client, pump = self.subscribed("btcusd@kline_1m")
        self.trade(1)
        (kline,) = self.received(client, pump)
        k = kline["k"]
        assert kline["e"] == "kline" and k["i"] == "1m" and k["x"] is False
        assert k["o"] == k["c"] == "50000.00" and k["T"] == k["t"] + 59_999
        self.clock.advance(60)
        self.venue.statistics.close_candles(self.venue.now_ms())
        closed = self.received(client, pump)
        assert closed and closed[0]["k"]["x"] is True and closed[0]["k"]["t"] == k["t"]


class PathTests(StreamCase):
    def test_a_raw_path_subscribes_its_stream(self):
        client, pump = self.connect("/ws/btcusd@trade")
        self.trade(1)
        (trade,) = self.received(client, pump)
        assert trade["e"] == "trade"

    def test_combined_streams_frame_each_payload_with_its_stream(self):
        client, pump = self.connect("/stream?streams=btcusd@trade/btcusd@depth")
        self.trade(1)
        frames = self.received(client, pump)
        assert {frame["stream"] for frame in frames} == {"btcusd@trade", "btcusd@depth"}
        assert all(frame["data"]["e"] in ("trade", "depthUpdate") for frame in frames)

    def test_an_unknown_stream_in_the_path_refuses_the_handshake(self):
        client, _ = self.connect("/ws/bogus@trade")
        assert not client.factory.opened


class DispatchTests(StreamCase):
    """One port: ``/ws`` is the native protocol, ``/ws/<n>`` and ``/stream`` are Binance's."""

    def connect_site(self, path: str) -> tuple[WsClient, iosim.IOPump]:
        root = build_root(self.root.children[b"api"], self.ws_factory, self.root, None, self.streams)
        client_factory = WebSocketClientFactory(f"ws://sim{path}", reactor=self.clock)
        client_factory.protocol = WsClient
        client_factory.opened, client_factory.received, client_factory.closed = False, [], None
        server = Site(root).buildProtocol(LOOPBACK)
        client = client_factory.buildProtocol(LOOPBACK)
        pump = iosim.connect(server, iosim.makeFakeServer(server), client, iosim.makeFakeClient(client))
        pump.flush()
        assert client_factory.opened
        return client, pump

    def test_each_path_reaches_its_protocol(self):
        client, pump = self.connect_site("/ws")
        assert self.request(client, pump, {"op": "ping"})[0]["type"] == "PONG"
        for path in ("/ws/0", "/ws/anything/else", "/stream"):
            client, pump = self.connect_site(path)
            assert self.request(client, pump, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == [
                {"result": [], "id": 1}
            ], path
