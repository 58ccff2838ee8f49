"""An admin request that installs a tcp fault is answered first, then the fault reaches the connection it
came on: a PUT of a tcp outage gets its 201, and only then is its connection reset."""

import json

from twisted.internet.address import IPv4Address
from twisted.web.server import Site

from exchangesim.failures.tcp import FaultyFactory

from .wiring import FaultCase, raw_http

OUTAGE = {"mode": "outage", "layer": "tcp", "duration": "1m"}


def keep_alive(method: str, path: str, token: str, body: dict | None = None) -> bytes:
    """An HTTP/1.1 request on a connection the client keeps open."""
    data = b"" if body is None else json.dumps(body).encode()
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"X-Admin-Token: {token}"]
    if data:
        head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


class OwnConnectionTests(FaultCase):
    def setUp(self):
        super().setUp()
        self.factory = FaultyFactory(Site(self.root), self.controller)

    def admin_over_tcp(self, method, path, body=None, port=40000):
        request = keep_alive(method, f"/api/v1/admin/failures{path}", self.venue.admin_token, body)
        return raw_http(self.factory, request, IPv4Address("TCP", "127.0.0.1", port))

    def test_a_put_of_a_tcp_outage_is_answered_before_its_connection_is_reset(self):
        _, other = raw_http(self.factory, b"", IPv4Address("TCP", "127.0.0.1", 40001))
        _, transport = self.admin_over_tcp("PUT", "/down", OUTAGE)
        answer = transport.value()
        assert answer.startswith(b"HTTP/1.1 201 "), answer[:200]
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["name"] == "down"
        assert not transport.disconnecting
        self.clock.advance(0)  # the next turn: the outage reaches the admin's connection too
        self.clock.advance(0)
        assert transport.disconnected and other.disconnected
        assert transport.value() == answer

    def test_a_post_and_an_apply_are_answered_too(self):
        _, transport = self.admin_over_tcp("POST", "", {"name": "down", **OUTAGE})
        assert transport.value().startswith(b"HTTP/1.1 201 ")
        self.controller.remove("down")
        _, transport = self.admin_over_tcp("PUT", "", {"faults": {"down": OUTAGE}}, port=40002)
        assert transport.value().startswith(b"HTTP/1.1 200 ")

    def test_a_tcp_stall_holds_the_connection_only_after_the_answer(self):
        _, transport = self.admin_over_tcp(
            "PUT", "/frozen", {"mode": "stall", "layer": "tcp", "duration": "5s"}
        )
        assert transport.value().startswith(b"HTTP/1.1 201 ")
        self.clock.advance(0)
        assert self.controller.connections["tcp-1"].describe_json()["faults"] == ["frozen"]
