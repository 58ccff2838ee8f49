"""Drive one failure mode without sockets: a FaultController on a Clock, connections that record what
they deliver and when, native-style messages, and REST calls over an in-memory request."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial
from io import BytesIO
from typing import Any

from treq.testing import StubTreq
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.web.http_headers import Headers
from twisted.web.resource import Resource

from exchangesim.api.native.streams import message_fields
from exchangesim.config import FailuresConfig
from exchangesim.failures import Fault, RestCall, parse_fault
from exchangesim.failures.connections import FaultyConnection
from exchangesim.failures.controller import FaultController
from exchangesim.failures.registry import mode_for
from exchangesim.failures.rest import FaultyResource

START = 1_700_000_000.0
SEED = 1234
ORDER_BODY = {"symbol": "BTC/USD", "side": "BUY", "price": "50000.5", "quantity": "0.25"}


def message(seq: int, channel: str = "TICKER", symbol: str = "BTC/USD", **body: Any) -> bytes:
    """A native market-data message of stream ``channel`` with ``seq``."""
    document = {"type": "MARKET_DATA", "channel": channel, "symbol": symbol, "seq": seq, **body}
    return json.dumps(document, separators=(",", ":")).encode()


def seq_of(data: bytes) -> int:
    return json.loads(data)["seq"]


def at(ms: float, *seqs: int) -> list[tuple[float, int]]:
    """Timeline entries: each of ``seqs`` delivered at ``ms``."""
    return [(float(ms), seq) for seq in seqs]


def since_start(event: dict[str, Any]) -> int:
    """The audit event's time in ms since ``START``."""
    return event["ts"] - int(START * 1000)


class Harness:
    """A FaultController with faults on a Clock that starts at ``START``."""

    def __init__(self, seed: int = SEED) -> None:
        self.clock = Clock()
        self.clock.advance(START)
        self._ms = 0.0  # where advance() has taken the clock, in ms since START, without float drift
        self.controller = FaultController(FailuresConfig(enabled=True), self.clock, seed)

    @classmethod
    def with_fault(cls, mode: str, seed: int = SEED, name: str = "f", **keys: Any) -> Harness:
        harness = cls(seed)
        harness.add(mode, name, **keys)
        return harness

    def add(self, mode: str, name: str = "f", **keys: Any) -> Fault:
        self.controller.put(parse_fault(name, {"mode": mode, **keys}, mode_for))
        return self.controller.faults[name]

    def connect(self, layer: str = "ws") -> Link:
        return Link(self, layer)

    @property
    def now_ms(self) -> float:
        return (self.clock.seconds() - START) * 1000

    def advance(self, ms: float) -> None:
        """Move the clock ``ms`` on, stopping at each timer on the way so it runs at its own time.

        Epoch seconds as floats are good to ~0.2 us, so a timer within a microsecond of the end runs too.
        """
        self._ms += ms
        end = START + self._ms / 1000
        while True:
            due = [call.getTime() for call in self.clock.getDelayedCalls() if call.getTime() <= end + 1e-6]
            if not due:
                break
            self.clock.advance(max(0.0, min(due) - self.clock.seconds()))
        self.clock.advance(max(0.0, end - self.clock.seconds()))

    def advance_to(self, ms: float) -> None:
        """Move the clock on to ``ms`` since START."""
        self.advance(ms - self._ms)

    def events(self, action: str | None = None) -> list[dict[str, Any]]:
        """The audit events, oldest first (only ``action`` ones when given)."""
        return [event for event in self.controller.audit.recent if action in (None, event["action"])]

    # -- the rest layer ------------------------------------------------------------------------------
    def rest_effect(self, name: str = "f"):
        """(fault, scope, effect) of the rest fault ``name``."""
        return next(entry for entry in self.controller.rest_faults if entry[0].name == name)

    def before(self, calls: Iterable[RestCall], name: str = "f") -> list[Any]:
        """The pre_engine verdict on each call, None where the fault does not fire (as the wrapper does)."""
        fault, scope, effect = self.rest_effect(name)
        return [effect.before(call) if fault.fires(scope, call) else None for call in calls]

    def after(self, calls: Iterable[tuple[RestCall, Any]], name: str = "f") -> list[Any]:
        """The post_engine verdict on each (call, response), None where the fault does not fire."""
        fault, scope, effect = self.rest_effect(name)
        return [
            effect.after(call, response) if fault.fires(scope, call) else None for call, response in calls
        ]

    def http(self) -> tuple[StubTreq, OrderResource]:
        """A client of an order route wrapped in the rest layer's faults, and the route."""
        inner = OrderResource()
        resource = FaultyResource(inner, self.controller, lambda request: _header(request, b"x-account"))
        return StubTreq(resource), inner


class Link:
    """A connection registered with the controller; what each direction delivers is kept with its time
    in ms since ``START``, closes as (code, reason), resets counted."""

    def __init__(self, harness: Harness, layer: str = "ws") -> None:
        self.harness = harness
        self.delivered: dict[str, list[tuple[float, bytes]]] = {"out": [], "in": []}
        self.closes: list[tuple[int, str]] = []
        self.aborts = 0
        describe = message_fields if layer == "ws" else (lambda data: {"bytes": len(data)})
        sinks = {direction: partial(self._deliver, direction) for direction in self.delivered}
        self.connection = FaultyConnection(
            layer, "127.0.0.1:50000", sinks, describe, self._close, self._abort
        )
        harness.controller.connect(self.connection)

    def _deliver(self, direction: str, data: bytes) -> None:
        self.delivered[direction].append((self.harness.now_ms, data))

    def _close(self, code: int, reason: str) -> None:
        self.closes.append((code, reason))

    def _abort(self) -> None:
        self.aborts += 1

    def send(self, *items: int | bytes, direction: str = "out") -> None:
        """Send messages (an int is the native message with that seq) through one direction's faults."""
        pipeline = self.connection.pipelines[direction]
        for item in items:
            pipeline.send(message(item) if isinstance(item, int) else item)

    def data(self, direction: str = "out") -> list[bytes]:
        return [data for _, data in self.delivered[direction]]

    def seqs(self, direction: str = "out") -> list[int]:
        return [seq_of(data) for data in self.data(direction)]

    def timeline(self, direction: str = "out") -> list[tuple[float, int]]:
        """(ms since START, seq) of each delivered message, rounded to a microsecond."""
        return [(round(ms, 3), seq_of(data)) for ms, data in self.delivered[direction]]


# -- REST calls --------------------------------------------------------------------------------------
class FakeRequest:
    """What RestCall and the modes read of a request: method, path, body, headers, client, channel."""

    def __init__(
        self,
        method: str,
        path: str,
        body: Any,
        headers: dict[bytes, bytes],
        ip: str,
        channel: object,
    ) -> None:
        self.method = method.encode()
        self.path = path.encode()
        self.args: dict[bytes, list[bytes]] = {}
        self.content = BytesIO(b"" if body is None else json.dumps(body).encode())
        self.requestHeaders = Headers({name: [value] for name, value in headers.items()})
        self.channel = channel
        self._ip = ip

    def getHeader(self, name: bytes) -> bytes | None:
        return self.requestHeaders.getRawHeaders(name, [None])[-1]

    def getClientAddress(self) -> IPv4Address:
        return IPv4Address("TCP", self._ip, 50000)

    def notifyFinish(self) -> Deferred[None]:
        return Deferred()


def rest_call(
    method: str = "POST",
    path: str = "/api/v1/orders",
    body: Any = ORDER_BODY,
    *,
    account: str | None = None,
    key: str | None = None,
    ip: str = "127.0.0.1",
    channel: object = None,
) -> RestCall:
    """A RestCall as the rest wrapper builds it, over an in-memory request."""
    headers = {}
    if account is not None:
        headers[b"x-account"] = account.encode()
    if key is not None:
        headers[b"x-api-key"] = key.encode()
    request = FakeRequest(method, path, body, headers, ip, channel)
    return RestCall(request, lambda request: _header(request, b"x-account"))


def _header(request: Any, name: bytes) -> str | None:
    value = request.getHeader(name)
    return None if value is None else value.decode()


class OrderResource(Resource):
    """A route that accepts every order with 201 and counts how often the engine side ran."""

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.executed = 0

    def render(self, request: Any) -> bytes:
        self.executed += 1
        request.setResponseCode(201)
        request.setHeader(b"content-type", b"application/json")
        body = {"order_id": str(self.executed), "price": "50000.5", "quantity": "0.25", "status": "NEW"}
        return json.dumps(body).encode()


def result_of(deferred: Deferred[Any]) -> Any:
    """What ``deferred`` has fired with; fails the test when it has not fired."""
    results: list[Any] = []
    deferred.addBoth(results.append)
    assert results, "the Deferred has not fired"
    return results[0]


def fetch(http: StubTreq, method: str = "POST", path: str = "/api/v1/orders", **kwargs: Any):
    """Start a request through ``http``; a Deferred of the response."""
    kwargs.setdefault("json", ORDER_BODY)
    return http.request(method, f"http://127.0.0.1{path}", **kwargs)
