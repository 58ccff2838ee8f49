"""The resource tree: the index, and the native API mounted under /api/v1."""

import json

from prometheus_client import CollectorRegistry
from treq.testing import StubTreq
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.http import combinedLogFormatter
from twisted.web.pages import notFound
from twisted.web.resource import Resource
from twisted.web.test.requesthelper import DummyRequest

from exchangesim.api.site import BoundedRequest, BoundedSite, build_root, redacted_log_line
from exchangesim.config import AccountConfig, Config, seal
from exchangesim.metrics import MetricsPage
from exchangesim.service import native_rest, native_websocket, venue_streams
from exchangesim.signing import sign_payload
from exchangesim.venue import open_venue

from ..memory_service import MemoryService, memory_config, request_bytes, status_and_json


class SiteTests(SynchronousTestCase):
    def setUp(self):
        venue = open_venue(seal(Config()), Clock())
        metrics = MetricsPage(CollectorRegistry())
        self.http = StubTreq(
            build_root(
                native_rest(venue).resource(),
                native_websocket(venue, venue_streams(venue)),
                metrics,
            )
        )

    def _json(self, path):
        response = self.successResultOf(self.http.get(f"http://sim{path}"))
        return response.code, json.loads(self.successResultOf(response.content()))

    def test_the_index_links_the_api(self):
        code, body = self._json("/")
        self.assertEqual(code, 200)
        self.assertEqual(body["links"]["health"], "/api/v1/health")

    def test_health_is_served_under_api_v1(self):
        code, body = self._json("/api/v1/health")
        self.assertEqual((code, body["status"]), (200, "ok"))

    def test_admin_is_served_under_api_v1_admin(self):
        code, body = self._json("/api/v1/admin/accounts")
        self.assertEqual((code, body["error"]["code"]), (401, "INVALID_ADMIN_TOKEN"))


LOOPBACK = IPv4Address("TCP", "127.0.0.1", 1234)


def _finished_request(uri, client=LOOPBACK, **headers):
    request = DummyRequest([])
    request.method, request.uri, request.clientproto = b"POST", uri, b"HTTP/1.1"
    request.client, request.code, request.sentLength = client, 201, 312
    for name, value in headers.items():
        request.requestHeaders.setRawHeaders(name.replace("_", "-"), [value])
    return request


def test_the_access_log_line_is_twisted_webs_combined_line_with_secrets_blanked():
    timestamp = "[06/Dec/2026:08:00:00 +0000]"
    plain = _finished_request(b"/api/v1/orders", user_agent=b"ccxt/4.2 (+https://ccxt.com)")
    assert redacted_log_line(timestamp, plain) == (
        '"127.0.0.1" - - [06/Dec/2026:08:00:00 +0000] "POST /api/v1/orders HTTP/1.1" 201 312 "-"'
        ' "ccxt/4.2 (+https://ccxt.com)"'
    )
    escaped = [  # each with what it gives away, which the line blanks
        (_finished_request(b"/api/v3/order?symbol=BTCUSD&signature=0f0f&x=1"), b"0f0f"),
        (_finished_request(b"/api/v1/orders", referer=b"http://a/?apiKey=key-1"), b"key-1"),
        (_finished_request(b"/caf\xc3\xa9", user_agent=b'say "hi" \\ it\'s'), None),
        (_finished_request(b"/api/v1/orders", client=IPv6Address("TCP", "::1", 1234), referer=b"a\tb"), None),
        (_finished_request(b"/api/v1/orders", client=UNIXAddress(b"/tmp/socket")), None),
    ]
    for request, secret in escaped:
        expected = combinedLogFormatter(timestamp, request)
        if secret is not None:
            assert secret.decode() in expected
            expected = expected.replace(secret.decode(), "<redacted>")
        assert redacted_log_line(timestamp, request) == expected


def _connect(site):
    """A connection to ``site`` over an in-memory transport; what it answers is ``transport.value()``."""
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 1234))
    channel.makeConnection(StringTransport())
    return channel


def test_a_request_keeps_no_more_body_than_the_site_allows():
    request = BoundedRequest(_connect(BoundedSite(Resource(), max_body_bytes=10, reactor=Clock())))
    request.gotLength(None)  # chunked: the length is learnt as the body arrives
    request.handleContentChunk(b"0123456789")
    assert not request.body_too_large
    request.handleContentChunk(b"abc")
    request.handleContentChunk(b"def" * 1000)
    assert request.body_too_large
    request.content.seek(0)
    assert request.content.read() == b"0123456789"


class _Text(Resource):
    isLeaf = True

    def __init__(self, text):
        super().__init__()
        self.text = text

    def render_GET(self, request):
        return self.text


def test_a_path_that_is_not_utf8_gets_the_json_error():
    root = Resource()
    root.putChild("café".encode(), _Text(b"cafe"))
    site = BoundedSite(root, max_body_bytes=1024, reactor=Clock())
    for path in ("/api/v1/%FF", "/api/v1/orders/by-client-id/%ED%A0%80"):
        channel = _connect(site)
        channel.dataReceived(request_bytes("GET", path))
        status, body, _ = status_and_json(channel.transport.value())
        assert (status, body["error"]["code"], body["error"]["field"]) == (400, "INVALID_PATH", "path")
    channel = _connect(site)
    channel.dataReceived(request_bytes("GET", "/caf%C3%A9"))
    assert channel.transport.value().startswith(b"HTTP/1.1 200 ")
    assert channel.transport.value().endswith(b"\r\n\r\ncafe")


def test_the_site_counts_its_answers_by_status():
    root = Resource()
    root.putChild(b"ok", _Text(b"ok"))
    root.putChild(b"missing", notFound())
    site = BoundedSite(root, max_body_bytes=1024, reactor=Clock())
    channel = _connect(site)
    for path in ("/ok", "/ok", "/missing"):
        channel.dataReceived(request_bytes("GET", path))
    assert site.answers == {200: 2, 404: 1}


def test_a_form_body_stays_out_of_the_query_arguments():
    """The site leaves bodies to the routes: ``request.args`` holds the query string only."""
    seen = {}

    class Recorder(Resource):
        isLeaf = True

        def render_POST(self, request):
            seen["args"], seen["body"] = dict(request.args), request.content.read()
            return b"{}"

    site = BoundedSite(Recorder(), max_body_bytes=1024, reactor=Clock())
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 1234))
    channel.makeConnection(StringTransport())
    body = b"symbol=BTCUSD&side=BUY"
    channel.dataReceived(
        b"POST /order?test=1 HTTP/1.1\r\nHost: sim\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    assert seen == {"args": {b"test": [b"1"]}, "body": body}


def test_a_fault_scoped_by_symbol_hits_a_binance_order_sent_as_a_form():
    """The site parses no form, so the fault wrapper reads the form body's fields itself."""
    config = memory_config()
    config.named_accounts["alice"] = AccountConfig(api_key="alice-key-0001", api_secret="alice-secret")
    config.failures.enabled = True
    config.faults = {"btc-down": {"mode": "error", "route": "POST /api/v3/order", "symbol": "BTC/USD"}}
    sim = MemoryService(config)

    def order(symbol):
        text = f"symbol={symbol}&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=form-{symbol}"
        text += f"&timestamp={int(sim.reactor.seconds() * 1000)}"
        body = f"{text}&signature={sign_payload('alice-secret', text.encode())}".encode()
        headers = ("X-MBX-APIKEY: alice-key-0001", "Content-Type: application/x-www-form-urlencoded")
        return status_and_json(sim.http(request_bytes("POST", "/api/v3/order", *headers, body=body)).received)

    assert order("BTCUSD")[0] == 503  # the fault's error, before the engine
    assert order("ETHUSD")[0] == 200  # another symbol: not in the fault's scope
    (hit,) = [event for event in sim.service.venue.faults.audit.recent if event.get("fault") == "btc-down"]
    assert (hit["symbol"], hit["client_order_id"]) == ("BTC/USD", "form-BTCUSD")
