"""What ws faults hold for a connection counts toward ``[server] ws_send_queue_limit``: a long delay or
stall closes a busy subscriber with 1013 (logged) instead of growing memory without end."""

from twisted.logger import capturedLogs

from exchangesim.api.outbox import FlushScheduler, Outbox
from exchangesim.config import Config

from .wiring import FaultCase, connect_ws, pump_ws, take, ws_send

LIMIT = 10
TRADES = {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD"}
HELD_REASON = f"too slow: more than {LIMIT} messages queued or held by faults"


class HeldMessagesTests(FaultCase):
    def make_config(self) -> Config:
        config = super().make_config()
        config.server.ws_send_queue_limit = LIMIT
        return config

    def subscriber(self):
        client, pump = connect_ws(self)
        ws_send(self, client, pump, TRADES)
        return client, pump

    def test_messages_a_long_delay_holds_count_toward_the_limit(self):
        client, pump = self.subscriber()
        self.put_fault("late", mode="delay", layer="ws", channel="TRADES", base_ms="60m")
        self.trade(LIMIT)
        pump_ws(self, pump)
        assert client.factory.closed is None
        assert self.controller.held_by(self.controller.faults["late"]) == LIMIT
        with capturedLogs() as events:
            self.trade(1)
            pump_ws(self, pump)
        assert client.factory.closed == (1013, HELD_REASON)
        (logged,) = [event for event in events if "ws_send_queue_limit" in event.get("log_format", "")]
        assert (logged["queued"], logged["held"], logged["limit"]) == (0, LIMIT, LIMIT)
        assert self.controller.held_by(self.controller.faults["late"]) == 0  # gone with the connection
        assert self.controller.connections == {}

    def test_an_endless_ws_stall_is_bounded_the_same_way(self):
        client, pump = self.subscriber()
        self.put_fault("frozen", mode="stall", layer="ws", direction="out")
        self.trade(LIMIT + 5)
        pump_ws(self, pump)
        assert client.factory.closed == (1013, HELD_REASON)
        assert take(client) == []

    def test_a_subscriber_whose_faults_hold_little_stays(self):
        client, pump = self.subscriber()
        self.put_fault("late", mode="delay", layer="ws", channel="TRADES", base_ms="1s")
        for _ in range(3):
            self.trade(LIMIT - 1)
            pump_ws(self, pump, 1)
        assert client.factory.closed is None
        trades = [m for m in take(client) if m.get("channel") == "TRADES"]
        assert [m["seq"] for m in trades] == list(range(1, 3 * (LIMIT - 1) + 1))

    def test_messages_held_inbound_count_too(self):
        client, pump = self.subscriber()
        self.put_fault("deaf", mode="delay", layer="ws", direction="in", base_ms="60m")
        for _ in range(LIMIT + 1):
            client.sendMessage(b'{"op": "ping"}')
        pump_ws(self, pump)
        assert client.factory.closed == (1013, HELD_REASON)


def test_the_outbox_counts_what_faults_hold_beside_its_queue():
    closed = []
    outbox = Outbox(FlushScheduler(None), lambda frame: None, lambda *close: closed.append(close), 3)
    outbox.pauseProducing()
    outbox.push(b"1")
    assert outbox.room_beside(1)
    assert not outbox.room_beside(2)
    assert closed == [(1013, "too slow: more than 3 messages queued or held by faults")]
    assert not outbox.room_beside(0)  # closed: nothing more goes in
