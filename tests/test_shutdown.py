"""Graceful shutdown of the whole service on a memory reactor: WebSocket clients get 1001, a pending
request completes, and the stop is bounded whatever the clients do."""

from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.shutdown import DRAIN_TIMEOUT_S

from .memory_service import MemoryService, memory_config, status_and_json

SLOW_TICKER = b"GET /api/v1/ticker?symbol=BTC/USD HTTP/1.1\r\nHost: sim\r\n\r\n"


class ShutdownTests(SynchronousTestCase):
    def start(self, delay_ms):
        """The service with GET /api/v1/ticker delayed ``delay_ms`` by a fault."""
        config = memory_config()
        config.failures.enabled = True
        route = {"layer": "rest", "route": "GET /api/v1/ticker"}
        config.faults = {"slow": {"mode": "delay", **route, "base_ms": str(delay_ms)}}
        self.sim = MemoryService(config)

    def test_websocket_clients_get_1001_and_a_pending_request_completes_before_the_stop(self):
        self.start(delay_ms=1000)
        websocket = self.sim.websocket("/ws")
        request = self.sim.http(SLOW_TICKER)
        assert request.received == b""  # held by the delay
        with capturedLogs() as events:
            stopped = self.sim.service.stopService()
            self.sim.settle()
            assert websocket.closed == (1001, "the server is shutting down")
            self.assertNoResult(stopped)  # the request is still being served
            self.sim.settle(1)
            self.sim.settle()  # the connections left close, and then at once the services stop
        status, body, _ = status_and_json(request.received)
        assert (status, body["symbol"]) == (200, "BTC/USD")
        assert self.successResultOf(stopped) is None
        assert not self.sim.service.running
        texts = [event.get("log_format", "") for event in events]
        assert any(text.startswith("stopping: no new connections") for text in texts)
        assert "exchangesim stopped" in texts

    def test_the_stop_is_bounded_when_a_request_takes_too_long(self):
        self.start(delay_ms=60_000)
        request = self.sim.http(SLOW_TICKER)
        stopped = self.sim.service.stopService()
        self.sim.settle(DRAIN_TIMEOUT_S - 0.01)
        self.assertNoResult(stopped)
        self.sim.settle(0.01)  # the drain gives up; the connections left close, then the services stop
        self.successResultOf(stopped)
        assert request.lost  # what was left is closed, not left hanging
