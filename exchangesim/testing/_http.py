"""HTTP to the in-memory venue: an ``IAgent`` whose connections are made in memory to the venue's own
port factory (connection limit, tcp faults, the site), a treq client over it, and a synchronous call."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred, succeed
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.interfaces import IConsumer, IProtocol, IProtocolFactory, IStreamClientEndpoint
from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure
from twisted.web.client import Agent, HTTPConnectionPool, ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgent, IAgentEndpointFactory, IBodyProducer, IResponse
from zope.interface import implementer

if TYPE_CHECKING:
    from ._venue import MemoryVenue

__all__ = ["MemoryAgent", "MemoryResponse", "NoAnswerError", "memory_treq"]


class NoAnswerError(AssertionError):
    """A synchronous call got no answer yet: a fault holds or dropped it (advance the clock), or the
    venue closed the connection."""


class MemoryResponse(NamedTuple):
    """A whole HTTP response: status, headers (lower-case names, last value) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@implementer(IStreamClientEndpoint)
@attrs.define
class _MemoryEndpoint:
    venue: MemoryVenue
    peer: IPv4Address

    def connect(self, factory: IProtocolFactory) -> Deferred[IProtocol]:
        client = factory.buildProtocol(self.peer)
        if client is None or self.venue.connect(client, self.peer) is None:
            raise ConnectionRefusedError("the venue refused the connection")
        return succeed(client)


@implementer(IAgentEndpointFactory)
@attrs.define
class _Endpoints:
    venue: MemoryVenue
    peer: IPv4Address

    def endpointForURI(self, uri: Any) -> _MemoryEndpoint:
        return _MemoryEndpoint(self.venue, self.peer)


@implementer(IBodyProducer)
class _BytesProducer:
    """A body written at once (treq's default producer would cooperate through the global reactor)."""

    def __init__(self, body: Any) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        if not isinstance(body, bytes):
            raise TypeError(f"the in-memory client sends bytes or text bodies, not {type(body).__name__}")
        self.body = body
        self.length = len(body)

    def startProducing(self, consumer: IConsumer) -> Deferred[None]:
        consumer.write(self.body)
        return succeed(None)

    def stopProducing(self) -> None:
        pass

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass


@implementer(IAgent)
class MemoryAgent:
    """``twisted.web.client.Agent`` over in-memory connections to ``venue`` from ``peer``; each request
    moves its bytes at once, so a route that answers synchronously has answered when this returns."""

    def __init__(self, venue: MemoryVenue, peer: IPv4Address) -> None:
        self._venue = venue
        pool = HTTPConnectionPool(venue.reactor, persistent=False)
        self._agent = Agent.usingEndpointFactory(venue.reactor, _Endpoints(venue, peer), pool=pool)

    def request(
        self,
        method: bytes,
        uri: bytes,
        headers: Headers | None = None,
        bodyProducer: IBodyProducer | None = None,
    ) -> Deferred[IResponse]:
        answer = self._agent.request(method, uri, headers, bodyProducer)
        self._venue.settle()
        return answer


def memory_treq(agent: MemoryAgent) -> Any:
    """A treq-style client (``get``, ``post``, ..., ``json_content``) over ``agent``, as ``StubTreq``
    offers over a bare resource, but through the venue's port and with the venue's clock."""
    try:
        import treq
        from treq.client import HTTPClient
    except ImportError as error:  # an extra: pip install exchangesim[testing]
        raise ImportError(
            "venue.http needs treq (pip install 'exchangesim[testing]'); venue.call needs nothing"
        ) from error

    client = HTTPClient(agent, data_to_body_producer=_BytesProducer)

    class MemoryTreq:
        """The venue's treq: the functions of ``treq.__all__``, bound to the in-memory agent."""

    memory = MemoryTreq()
    for name in treq.__all__:
        setattr(memory, name, getattr(client, name, None) or getattr(treq, name))
    return memory


def call(
    venue: MemoryVenue,
    agent: MemoryAgent,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> MemoryResponse:
    """One request, answered before this returns (``NoAnswerError`` if it was not)."""
    sent = Headers({name: [value] for name, value in (headers or {}).items()})
    producer = None
    if body is not None:
        if not isinstance(body, bytes | str):
            body = json.dumps(body)
            if not sent.hasHeader("content-type"):
                sent.setRawHeaders("content-type", ["application/json"])
        producer = _BytesProducer(body)
    elif method.upper() in ("POST", "PUT", "PATCH"):
        producer = _BytesProducer(b"")
    url = path if "://" in path else venue.base_url + path
    answered = agent.request(method.upper().encode(), url.encode(), sent, producer)
    answered.addCallback(_whole)
    venue.settle()
    result: list[Any] = []
    answered.addBoth(result.append)
    if not result:
        answered.cancel()
        answered.addErrback(lambda _: None)
        raise NoAnswerError(
            f"{method} {path}: no answer yet (a fault holds or dropped it: advance the clock first, or "
            "use venue.http for a Deferred)"
        )
    if isinstance(result[0], Failure):
        reasons = getattr(result[0].value, "reasons", None)  # ResponseNeverReceived and kin
        why = (reasons[0] if reasons else result[0]).getErrorMessage()
        raise NoAnswerError(f"{method} {path}: no answer, the connection closed first ({why})")
    return result[0]


class _Body(Protocol):
    """Collects a response body (``readBody`` warns about iosim's transports)."""

    def __init__(self, done: Deferred[bytes]) -> None:
        self.chunks: list[bytes] = []
        self.done = done

    def dataReceived(self, data: bytes) -> None:
        self.chunks.append(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if reason.check(ResponseDone, PotentialDataLoss):
            self.done.callback(b"".join(self.chunks))
        else:
            self.done.errback(reason)


def _whole(response: IResponse) -> Deferred[MemoryResponse]:
    headers = {
        name.decode("latin-1").lower(): values[-1].decode("latin-1")
        for name, values in response.headers.getAllRawHeaders()
    }
    body: Deferred[bytes] = Deferred()
    response.deliverBody(_Body(body))
    return body.addCallback(lambda data: MemoryResponse(response.code, headers, data))
