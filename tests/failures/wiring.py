"""The daemon's tree in memory for fault tests: a venue on a Clock with faults from its config, the
REST API over StubTreq, the native WebSocket over iosim, and raw HTTP over StringTransport."""

from __future__ import annotations

import json
from typing import Any

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from prometheus_client import CollectorRegistry
from treq.testing import StubTreq
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.test import iosim
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.api.site import build_root
from exchangesim.config import AccountConfig, Config, seal
from exchangesim.engine import Side
from exchangesim.failures.metrics import FaultCollector
from exchangesim.failures.rest import FaultyResource
from exchangesim.failures.testing import LOOPBACK, raw_request
from exchangesim.metrics import MetricsPage
from exchangesim.service import native_rest, native_websocket, venue_streams
from exchangesim.venue import open_venue
from tests.api.native.support import place_limit

BOB_KEY = "bob-key-0001"
START = 1_700_000_000.0


class FaultCase(SynchronousTestCase):
    """A test with ``self.venue`` (faults from ``faults`` and ``failures``), ``self.clock``, the daemon's
    resource tree as ``self.root`` and ``self.http`` (StubTreq over it)."""

    faults: dict[str, dict[str, Any]] = {}
    """[failure:NAME] sections the venue starts with."""
    failures: dict[str, Any] = {}
    """[failures] settings besides ``enabled = true``."""

    def make_config(self) -> Config:
        config = Config()
        config.named_accounts["bob"] = AccountConfig(api_key=BOB_KEY, api_secret="bob-secret")
        config.failures.enabled = True
        for key, value in self.failures.items():
            setattr(config.failures, key, value)
        for name, keys in self.faults.items():
            config.faults[name] = dict(keys)
        return config

    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(START)
        self.venue = open_venue(seal(self.make_config()), self.clock)
        self.controller = self.venue.faults
        self.venue_streams = venue_streams(self.venue)
        self.ws_factory = native_websocket(self.venue, self.venue_streams)
        self.registry = CollectorRegistry()
        self.registry.register(FaultCollector(self.controller))
        api = FaultyResource(
            native_rest(self.venue).resource(),
            self.controller,
            self.venue.authenticator.account_of,
            (b"/api/v1/admin",),
        )
        self.root = build_root(api, self.ws_factory, MetricsPage(self.registry))
        self.http = StubTreq(self.root)

    # -- faults --------------------------------------------------------------------------------------
    def put_fault(self, name: str, **keys: Any) -> None:
        self.controller.put(self.controller.parse(name, keys))

    def audit(self, **match: Any) -> list[dict[str, Any]]:
        """Audit events (control events left out) whose fields equal ``match``."""
        return [
            event
            for event in self.controller.audit.recent
            if event["layer"] != "admin" and all(event.get(key) == value for key, value in match.items())
        ]

    # -- REST ----------------------------------------------------------------------------------------
    def send(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Deferred:
        """Start one request on ``/api/v1`` + ``path``; the Deferred fires with the treq response."""
        headers = dict(headers or {})
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        return self.http.request(method, f"http://127.0.0.1/api/v1{path}", data=data, headers=headers)

    def settle(self, seconds: float = 0) -> None:
        """Advance the venue's clock, then pump the in-memory connections."""
        self.clock.advance(seconds)
        self.http.flush()

    def answer(self, sent: Deferred) -> tuple[int, Any, Any]:
        """(status, JSON body or raw bytes if not JSON, headers) of a request that was answered."""
        self.http.flush()
        response = self.successResultOf(sent)
        content = self.successResultOf(response.content())
        try:
            body = json.loads(content)
        except ValueError:
            body = content
        return response.code, body, response.headers

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """Send one request that is answered at once; (status, body)."""
        code, body, _ = self.answer(self.send(method, path, body, headers))
        return code, body

    def as_bob(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self.send(method, path, body, {"X-API-Key": BOB_KEY, **(headers or {})})

    def order(self, client_order_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """A resting limit buy of bob's (far below the market)."""
        body = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "100"}
        if client_order_id is not None:
            body["client_order_id"] = client_order_id
        return {**body, **fields}

    def bobs_orders(self) -> list[Any]:
        return self.venue.exchange.orders("bob", None, None)

    # -- the market ----------------------------------------------------------------------------------
    def place(self, account, side, price, quantity, symbol="BTC/USD"):
        return place_limit(self.venue, account, side, price, quantity, symbol)

    def trade(self, count):
        """``count`` trades on BTC/USD at one price, one command each."""
        self.place("default", Side.SELL, "50000", "1")
        for _ in range(count):
            self.place("bob", Side.BUY, "50000", "0.001")

    def quote(self, count):
        """``count`` rising bids of the default account: each moves TICKER and BOOK once."""
        for step in range(count):
            self.place("default", Side.BUY, str(40000 + step), "0.001")

    def admin(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        token = self.venue.admin_token if token is None else token
        return self.call(method, f"/admin/failures{path}", body, {"X-Admin-Token": token})


class TcpTransport(StringTransport):
    """A StringTransport that behaves as a TCP one once closed: an aborted connection sends nothing
    more, and a closed one may still be asked to resume producing."""

    def write(self, data: bytes) -> None:
        if not self.disconnected:
            super().write(data)

    def _checkState(self) -> None:
        pass


def raw_http(site_or_factory: Any, request: bytes, peer: IPv4Address = LOOPBACK):
    """Connect ``site_or_factory`` to a transport from ``peer`` and send ``request`` bytes (if any);
    returns (protocol, transport)."""
    protocol = site_or_factory.buildProtocol(peer)
    transport = TcpTransport(peerAddress=peer, hostAddress=IPv4Address("TCP", "127.0.0.1", 8080))
    protocol.makeConnection(transport)
    if request:
        protocol.dataReceived(request)
    return protocol, transport


def http_request(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    """An HTTP/1.1 request that asks the server to close the connection after answering."""
    return raw_request(method, path, {"Connection": "close", **(headers or {})}, body)


# -- WebSocket ---------------------------------------------------------------------------------------
class WsClient(WebSocketClientProtocol):
    """Keeps every message received (BATCH frames unpacked) and how the connection closed."""

    def onOpen(self) -> None:
        self.factory.opened = True

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            self.factory.received.append(payload)  # a corrupted message: kept as bytes
            return
        batch = isinstance(message, dict) and message.get("type") == "BATCH"
        self.factory.received += message["messages"] if batch else [message]

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.factory.closed = (code, reason)


def connect_ws(case: FaultCase, peer: IPv4Address = LOOPBACK) -> tuple[WsClient, iosim.IOPump]:
    """An Autobahn client connected in memory to the venue's native WebSocket factory."""
    client_factory = WebSocketClientFactory("ws://sim/ws", reactor=case.clock)
    client_factory.protocol = WsClient
    client_factory.opened, client_factory.received, client_factory.closed = False, [], None
    server = case.ws_factory.buildProtocol(peer)
    client = client_factory.buildProtocol(peer)
    server_transport = iosim.FakeTransport(server, isServer=True, peerAddress=peer)
    pump = iosim.connect(server, server_transport, client, iosim.makeFakeClient(client))
    pump.flush()
    assert client_factory.opened
    return client, pump


def pump_ws(case: FaultCase, pump: iosim.IOPump, seconds: float = 0) -> None:
    """Advance the clock (outboxes flush on the next turn) and move the bytes both ways."""
    pump.flush()
    case.clock.advance(seconds)
    pump.flush()
    case.clock.advance(0)
    pump.flush()


def ws_send(case: FaultCase, client: WsClient, pump: iosim.IOPump, *operations: dict[str, Any]) -> list:
    """Send operations, settle, and return (and forget) what arrived."""
    for operation in operations:
        client.sendMessage(json.dumps(operation).encode())
    pump_ws(case, pump)
    return take(client)


def take(client: WsClient) -> list:
    received, client.factory.received = client.factory.received, []
    return received
