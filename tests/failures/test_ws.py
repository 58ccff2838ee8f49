"""WebSocket faults as a client sees them: through each stream's ``seq``, matched against the audit."""

from .wiring import FaultCase, connect_ws, pump_ws, take, ws_send

TRADES = {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD"}


class StreamCase(FaultCase):
    def subscribed(self, *channels):
        """A connected client subscribed to ``channels`` of BTC/USD, with the replies taken."""
        client, pump = connect_ws(self)
        replies = ws_send(self, client, pump, *({**TRADES, "channel": c} for c in channels))
        assert [r["type"] for r in replies if r["type"] == "SUBSCRIBED"] == ["SUBSCRIBED"] * len(channels)
        return client, pump

    def seqs(self, client, channel="TRADES"):
        return [m["seq"] for m in take(client) if m.get("channel") == channel and not m.get("snapshot")]

    def audited_seqs(self, action, channel="TRADES"):
        return [e["seq"] for e in self.audit(action=action, channel=channel)]


class DropTests(StreamCase):
    def test_dropped_trades_are_the_gaps_in_seq_the_audit_names(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("loss", mode="drop", layer="ws", channel="TRADES", probability="0.3")
        self.trade(40)
        pump_ws(self, pump)
        received = self.seqs(client)
        dropped = self.audited_seqs("drop")
        assert 0 < len(dropped) < 40
        assert sorted(received + dropped) == list(range(1, 41)) and received == sorted(received)
        for event in self.audit(action="drop"):
            assert (event["connection"], event["direction"], event["symbol"]) == ("ws-1", "out", "BTC/USD")

    def test_the_same_seed_drops_the_same_messages(self):
        first = self.dropped_with_seed(7)
        assert self.dropped_with_seed(7) == first
        assert self.dropped_with_seed(8) != first

    def dropped_with_seed(self, seed):
        """The TRADES seqs a 30% drop loses on a fresh venue whose faults are seeded with ``seed``."""
        self.failures = {"seed": seed}
        self.setUp()
        client, pump = self.subscribed("TRADES")
        self.put_fault("loss", mode="drop", layer="ws", channel="TRADES", probability="0.3")
        self.trade(40)
        pump_ws(self, pump)
        assert sorted(self.seqs(client) + self.audited_seqs("drop")) == list(range(1, 41))
        return self.audited_seqs("drop")

    def test_drops_on_ticker_and_book_are_gaps_in_their_seq(self):
        for channel in ("TICKER", "BOOK"):
            self.setUp()
            client, pump = self.subscribed(channel)
            self.put_fault("loss", mode="drop", layer="ws", channel=channel, nth="3")
            self.quote(12)
            pump_ws(self, pump)
            received = self.seqs(client, channel)
            dropped = self.audited_seqs("drop", channel)
            assert dropped and set(dropped).isdisjoint(received), channel
            everything = sorted(received + dropped)
            assert everything == list(range(everything[0], everything[-1] + 1)), channel
            assert received == sorted(received) and len(dropped) == 4, channel

    def test_a_fault_on_one_channel_leaves_the_others_whole(self):
        client, pump = self.subscribed("TRADES", "TICKER")
        self.put_fault("loss", mode="drop", layer="ws", channel="TRADES")
        self.trade(5)
        pump_ws(self, pump)
        messages = take(client)
        assert [m for m in messages if m["channel"] == "TRADES"] == []
        ticker = [m["seq"] for m in messages if m["channel"] == "TICKER"]
        assert ticker == list(range(ticker[0], ticker[0] + len(ticker)))

    def test_connection_targeting_spares_other_connections(self):
        first, first_pump = self.subscribed("TRADES")
        second, second_pump = self.subscribed("TRADES")
        self.put_fault("loss", mode="drop", layer="ws", channel="TRADES", connection="2")
        self.trade(3)
        pump_ws(self, first_pump)
        pump_ws(self, second_pump)
        assert (self.seqs(first), self.seqs(second)) == ([1, 2, 3], [])
        assert {event["connection"] for event in self.audit()} == {"ws-2"}


class DuplicateAndReorderTests(StreamCase):
    def test_duplicates_repeat_the_seq_the_audit_names(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("echo", mode="duplicate", layer="ws", channel="TRADES", nth="3", copies="2")
        self.trade(9)
        pump_ws(self, pump)
        received = self.seqs(client)
        assert self.audited_seqs("duplicate") == [3, 6, 9]
        assert received == [1, 2, 3, 3, 3, 4, 5, 6, 6, 6, 7, 8, 9, 9, 9]

    def test_reordered_messages_arrive_after_gap_later_ones(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("shuffle", mode="reorder", channel="TRADES", nth="3", gap="2")
        self.trade(9)
        pump_ws(self, pump)
        # 4 and 5 overtake 3 (and are not counted by nth); 8 is held, only 9 overtakes it.
        assert self.audited_seqs("reorder") == [3]
        assert self.seqs(client) == [1, 2, 4, 5, 3, 6, 7, 9]
        self.clock.advance(1)  # hold_ms: the last held one goes when fewer than gap overtake it
        pump_ws(self, pump)
        assert self.seqs(client) == [8]
        assert self.audited_seqs("reorder") == [3, 8]

    def test_a_random_reorder_matches_the_audit(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("shuffle", mode="reorder", channel="TRADES", probability="0.25", gap="1")
        self.trade(30)
        pump_ws(self, pump, 1)
        received = self.seqs(client)
        held = set(self.audited_seqs("reorder"))
        assert held and sorted(received) == list(range(1, 31))
        late = {seq for position, seq in enumerate(received) if any(s > seq for s in received[:position])}
        assert late == held

    def test_delay_keeps_the_order(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("slow", mode="delay", channel="TRADES", base_ms="100", jitter_ms="400", nth="2")
        self.trade(20)
        pump_ws(self, pump)
        early = self.seqs(client)
        assert early == [1]
        pump_ws(self, pump, 1)
        assert self.seqs(client) == list(range(2, 21))
        assert self.audited_seqs("delay") == list(range(2, 21, 2))

    def test_corrupted_messages_are_the_ones_the_audit_names(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("garble", mode="corrupt", channel="TRADES", kind="truncate", nth="2")
        self.trade(6)
        pump_ws(self, pump)
        received = take(client)
        assert self.audited_seqs("corrupt") == [2, 4, 6]
        assert [m["seq"] for m in received if isinstance(m, dict)] == [1, 3, 5]
        assert sum(isinstance(m, bytes) for m in received) == 3


class InboundTests(StreamCase):
    def test_an_inbound_drop_loses_client_operations(self):
        client, pump = connect_ws(self)
        self.put_fault("deaf", mode="drop", layer="ws", direction="in", nth="2")
        replies = ws_send(self, client, pump, *({"op": "ping"} for _ in range(4)))
        assert [r["type"] for r in replies] == ["PONG", "PONG"]
        events = self.audit(action="drop")
        assert [(e["direction"], e["op"]) for e in events] == [("in", "ping"), ("in", "ping")]

    def test_an_inbound_drop_of_a_subscribe_means_no_stream(self):
        client, pump = connect_ws(self)
        self.put_fault("deaf", mode="drop", layer="ws", direction="in", first="1")
        assert ws_send(self, client, pump, TRADES) == []
        self.trade(2)
        pump_ws(self, pump)
        assert take(client) == []
        assert [r["type"] for r in ws_send(self, client, pump, TRADES)] == ["SUBSCRIBED"]

    def test_inbound_delay_and_duplicate_act_on_operations(self):
        client, pump = connect_ws(self)
        self.put_fault("echo", mode="duplicate", layer="ws", direction="in")
        assert [r["type"] for r in ws_send(self, client, pump, {"op": "ping"})] == ["PONG", "PONG"]
        self.controller.remove("echo")
        self.put_fault("lag", mode="delay", layer="ws", direction="in", base_ms="500")
        assert ws_send(self, client, pump, {"op": "ping"}) == []
        pump_ws(self, pump, 0.5)
        assert [r["type"] for r in take(client)] == ["PONG"]

    def test_an_outbound_fault_leaves_operations_alone(self):
        client, pump = connect_ws(self)
        self.put_fault("mute", mode="drop", layer="ws", direction="out", channel="TRADES")
        assert [r["type"] for r in ws_send(self, client, pump, {"op": "ping"})] == ["PONG"]


class FaultsChannelTests(StreamCase):
    def test_the_faults_channel_is_for_operators_only(self):
        client, pump = connect_ws(self)
        for token, code in ((None, "INVALID_ADMIN_TOKEN"), ("wrong", "INVALID_ADMIN_TOKEN")):
            subscribe = {"op": "subscribe", "channel": "FAULTS"}
            if token is not None:
                subscribe["admin_token"] = token
            [reply] = ws_send(self, client, pump, subscribe)
            assert (reply["type"], reply["error"]["code"], reply["error"]["field"]) == (
                "ERROR",
                code,
                "admin_token",
            )

    def test_the_faults_channel_carries_one_message_per_audit_event_and_is_never_faulted(self):
        watcher, watcher_pump = connect_ws(self)
        subscribe = {"op": "subscribe", "channel": "FAULTS", "admin_token": self.venue.admin_token}
        assert [r["type"] for r in ws_send(self, watcher, watcher_pump, subscribe)] == ["SUBSCRIBED"]
        trader, trader_pump = self.subscribed("TRADES")
        self.put_fault("lose-everything", mode="drop", layer="ws")  # the watcher's connection too
        self.trade(3)
        pump_ws(self, trader_pump)
        messages = ws_send(self, watcher, watcher_pump, {"op": "ping"})  # dropped, and audited
        self.controller.audit.control(self.venue.now_ms(), "market_pause", symbol="BTC/USD")
        pump_ws(self, watcher_pump)
        messages += take(watcher)
        events = list(self.controller.audit.recent)
        assert [m["type"] for m in messages] == ["FAULT"] * len(events)
        assert [m["event"] for m in messages] == events
        assert [m["seq"] for m in messages] == list(range(1, len(events) + 1))
        assert [(e["connection"], e.get("seq")) for e in events[:3]] == [
            ("ws-2", 1),
            ("ws-2", 2),
            ("ws-2", 3),
        ]
        assert (events[3]["connection"], events[3]["direction"], events[3]["op"]) == ("ws-1", "in", "ping")
        assert events[4]["action"] == "market_pause"
        assert take(trader) == []


class ReleaseTests(StreamCase):
    def test_removing_a_delay_releases_what_it_held_in_order(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("slow", mode="delay", channel="TRADES", base_ms="60s", jitter_ms="30s")
        self.trade(8)
        pump_ws(self, pump, 1)
        assert take(client) == [] and self.controller.held_by(self.controller.faults["slow"]) == 8
        self.controller.remove("slow")
        pump_ws(self, pump)
        assert self.seqs(client) == list(range(1, 9))
        self.clock.advance(120)  # the cancelled timers send nothing more
        pump_ws(self, pump)
        assert take(client) == []

    def test_removing_a_reorder_releases_what_it_held_in_order(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("shuffle", mode="reorder", channel="TRADES", nth="2", gap="100", hold_ms="60s")
        self.trade(6)
        pump_ws(self, pump)
        assert self.seqs(client) == [1, 3, 4, 5, 6]
        self.controller.remove("shuffle")
        pump_ws(self, pump)
        assert self.seqs(client) == [2]

    def test_removing_the_first_of_two_holding_faults_keeps_the_stream_in_order(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("first", mode="delay", channel="TRADES", base_ms="60s", nth="2")
        self.put_fault("second", mode="delay", channel="TRADES", base_ms="30s", nth="3")
        self.trade(12)
        pump_ws(self, pump)
        self.controller.remove("first")
        pump_ws(self, pump, 60)
        assert self.seqs(client) == list(range(1, 13))

    def test_halting_releases_what_every_fault_held(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("stuck", mode="stall", layer="ws")
        self.trade(4)
        pump_ws(self, pump, 10)
        assert take(client) == []
        self.controller.halt()
        pump_ws(self, pump)
        assert self.seqs(client) == [1, 2, 3, 4]

    def test_a_stall_that_ends_releases_what_it_held(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("stuck", mode="stall", layer="ws", duration="2s")
        self.trade(3)
        pump_ws(self, pump, 1)
        assert take(client) == []
        pump_ws(self, pump, 1)
        assert self.seqs(client) == [1, 2, 3]
        self.trade(1)
        pump_ws(self, pump)
        assert self.seqs(client) == [4]


class ConnectionFaultTests(StreamCase):
    def test_an_outage_closes_websockets_with_1013(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault("down", mode="outage", layer="ws")
        pump_ws(self, pump)
        assert client.factory.closed[0] == 1013
        late, late_pump = connect_ws(self)
        pump_ws(self, late_pump)
        assert late.factory.closed[0] == 1013
        assert self.controller.connections == {}

    def test_disconnect_after_n_messages(self):
        client, pump = self.subscribed("TRADES")
        self.put_fault(
            "cut", mode="disconnect", layer="ws", channel="TRADES", after="2", how="close", close_code="4000"
        )
        self.trade(5)
        pump_ws(self, pump)
        assert self.seqs(client) == [1, 2]
        assert client.factory.closed[0] == 4000
        (event,) = self.audit(action="disconnect")
        assert event["seq"] == 3
