"""``[server] admin_endpoint``: the operator's way in, which no fault touches, through the whole service
on a memory reactor (the admin listener is the second entry of ``tcpServers``)."""

from twisted.internet.defer import fail
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import capturedLogs
from twisted.test import iosim
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.config import SettingError
from exchangesim.service import ListeningService

from .memory_service import PEER, HttpClient, MemoryService, memory_config, request_bytes, status_and_json

ADMIN = "tcp:0:interface=127.0.0.1"
FAILURES = "/api/v1/admin/failures"


class AdminEndpointTests(SynchronousTestCase):
    def setUp(self) -> None:
        config = memory_config()
        config.server.admin_endpoint = ADMIN
        config.server.admin_token = "operator-token"
        config.failures.enabled = True
        with capturedLogs() as self.logged:
            self.sim = MemoryService(config)
        self.admin_factory = self.sim.reactor.tcpServers[1][1]
        self.admin_factory.doStart()
        self.controller = self.sim.service.venue.faults

    def admin_http(self, method, path, body=b"", token="operator-token"):
        """A request on a new connection to the admin listener; the client, once served."""
        client = HttpClient()
        server = self.admin_factory.buildProtocol(PEER)
        server_side = iosim.FakeTransport(server, isServer=True, peerAddress=PEER)
        self.sim.pumps.append(iosim.connect(server, server_side, client, iosim.makeFakeClient(client)))
        headers = [f"X-Admin-Token: {token}", "Content-Type: application/json"]
        client.transport.write(request_bytes(method, path, *headers, body=body))
        self.sim.settle()
        return client

    def answer(self, client):
        status, body, _ = status_and_json(client.received)
        return status, body

    def test_a_second_listener_with_the_main_port_first(self):
        reactor = self.sim.reactor
        assert [(port, interface) for port, _, _, interface in reactor.tcpServers] == [
            (0, "127.0.0.1"),
            (0, "127.0.0.1"),
        ]
        assert self.sim.factory is self.sim.service.connections
        assert self.admin_factory is self.sim.service.admin_connections
        (announced,) = [e for e in self.logged if "admin API on" in e.get("log_format", "")]
        assert announced["description"] == ADMIN

    def test_the_operator_gets_in_while_a_tcp_stall_silences_the_main_port(self):
        self.controller.put(
            self.controller.parse("freeze", {"mode": "stall", "layer": "tcp", "duration": "30m"})
        )
        stuck = self.sim.http(request_bytes("GET", "/api/v1/health"))
        assert stuck.received == b""
        assert self.answer(self.admin_http("GET", "/api/v1/health"))[0] == 200
        status, listing = self.answer(self.admin_http("GET", FAILURES))
        assert (status, [fault["name"] for fault in listing["faults"]]) == (200, ["freeze"])
        status, _ = self.answer(self.admin_http("DELETE", f"{FAILURES}/freeze"))
        assert status == 200
        self.sim.settle()
        assert status_and_json(stuck.received)[0] == 200  # what the stall held went on

    def test_no_rest_fault_and_no_outage_reaches_it(self):
        outage = {"mode": "outage", "layer": "rest,tcp", "duration": "30m"}
        self.controller.put(self.controller.parse("down", outage))
        self.controller.put(self.controller.parse("broken", {"mode": "error", "layer": "rest"}))
        assert self.sim.http(request_bytes("GET", "/api/v1/health")).received == b""  # reset on accept
        assert self.answer(self.admin_http("GET", "/api/v1/health"))[0] == 200
        body = b'{"name": "more", "mode": "delay", "layer": "ws"}'
        assert self.answer(self.admin_http("POST", FAILURES, body))[0] == 201
        assert self.controller.connections == {}  # the admin listener's connections are not faulted

    def test_it_serves_the_admin_api_and_health_only(self):
        for path in ("/", "/api/v1/orderbook?symbol=BTC/USD", "/metrics", "/ws", "/api/v3/time"):
            status, body = self.answer(self.admin_http("GET", path))
            assert (status, body["error"]["code"]) == (404, "NOT_FOUND"), path
        assert self.answer(self.admin_http("GET", "/api/v1/admin/accounts"))[0] == 200

    def test_it_still_takes_the_admin_token(self):
        status, body = self.answer(self.admin_http("GET", FAILURES, token="wrong"))
        assert status in (401, 403) and "error" in body

    def test_stopping_closes_its_connections_and_stops_listening(self):
        idle = self.admin_http("GET", "/api/v1/health")
        idle.received = b""
        stopped = self.sim.service.stopService()
        self.sim.settle()  # closed at once, well before CLOSE_TIMEOUT_S
        self.successResultOf(stopped)
        assert idle.lost
        assert self.sim.service.admin.port is None


def test_empty_means_no_admin_listener():
    config = memory_config()
    assert config.server.admin_endpoint is None
    config.server.admin_endpoint = ""
    assert config.server.admin_endpoint is None
    sim = MemoryService(config)
    assert len(sim.reactor.tcpServers) == 1 and sim.service.admin is None


def test_an_invalid_description_is_refused():
    config = memory_config()
    try:
        config.server.admin_endpoint = "carrier-pigeon:8766"
    except SettingError as error:
        assert error.key == "admin_endpoint"
    else:
        raise AssertionError("accepted")


def test_the_main_port_fails_when_the_admin_listener_fails():
    reactor = MemoryReactorClock()
    web = ListeningService(reactor, "tcp:0", object(), along=fail(OSError("address in use")))
    web.privilegedStartService()
    failure = SynchronousTestCase().failureResultOf(web.listening, OSError)
    assert "address in use" in failure.getErrorMessage()
