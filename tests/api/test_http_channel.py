"""The request-head deadline of a keep-alive connection, over an in-memory transport and a fake clock."""

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from exchangesim.api.site import BoundedSite

from ..memory_service import request_bytes, status_and_json


class _Ok(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"{}"


class _TakeOver(Resource):
    """Takes the connection away from HTTP, as a WebSocket upgrade does."""

    isLeaf = True

    def render_GET(self, request):
        request.channel.transport = None
        return NOT_DONE_YET


def _connection(resource, clock):
    site = BoundedSite(
        resource, max_body_bytes=1024, idle_timeout=120, reactor=clock, request_head_timeout=10
    )
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 1234))
    channel.makeConnection(StringTransport())
    return channel


def test_a_head_started_soon_after_the_last_request_still_gets_the_whole_deadline():
    clock = Clock()
    channel = _connection(_Ok(), clock)
    channel.dataReceived(request_bytes("GET", "/"))
    assert status_and_json(channel.transport.value())[0] == 200
    clock.advance(5)  # within the first head's deadline, which the second one moves
    channel.transport.clear()
    channel.dataReceived(b"GET / HTTP/1.1\r\n")
    clock.advance(9.9)
    assert not channel.transport.disconnecting
    channel.dataReceived(b"Host: sim\r\n\r\n")
    assert status_and_json(channel.transport.value())[0] == 200
    clock.advance(3)
    channel.transport.clear()
    channel.dataReceived(b"GET / HTTP/1.1\r\n")
    clock.advance(9.9)
    assert not channel.transport.disconnecting
    clock.advance(0.1)
    assert status_and_json(channel.transport.value())[0] == 408 and channel.transport.disconnecting


def test_a_connection_taken_over_from_http_keeps_no_head_deadline():
    clock = Clock()
    _connection(_TakeOver(), clock).dataReceived(request_bytes("GET", "/"))
    assert clock.getDelayedCalls() == []
