"""The dashboard's files as served: the page for ``/`` to a browser, its assets and plotly.js under
``/dashboard``, nothing else (no listing), and the JSON index for clients that do not ask for HTML."""

import json

from prometheus_client import CollectorRegistry
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.http_headers import Headers
from twisted.web.server import Request, Site

from exchangesim.api.site import build_root
from exchangesim.config import Config, seal
from exchangesim.dashboard._resource import STATIC
from exchangesim.metrics import MetricsPage
from exchangesim.service import native_rest, native_websocket, venue_streams
from exchangesim.venue import open_venue

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _PullingRequest(Request):
    """Pulls a pull producer (a file being served) to its end at once: twisted.web would pull it with
    the global reactor's cooperator, which does not run in a test in memory."""

    _pulled = None

    def registerProducer(self, producer, streaming):
        if streaming:
            super().registerProducer(producer, streaming)
            return
        self._pulled = producer
        while self._pulled is producer:  # until it unregisters itself, its file read
            producer.resumeProducing()

    def unregisterProducer(self):
        self._pulled = None
        super().unregisterProducer()


class _Answer:
    """What an HTTP/1.0 GET of ``path`` (no chunked body to undo) was answered: status, headers, body."""

    def __init__(self, root, path, accept=None):
        site = Site(root, reactor=Clock())
        site.requestFactory = _PullingRequest
        channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 1234))
        transport = StringTransport()
        channel.makeConnection(transport)
        head = [f"GET {path} HTTP/1.0", *([] if accept is None else [f"Accept: {accept}"])]
        channel.dataReceived(("\r\n".join(head) + "\r\n\r\n").encode())
        raw_head, _, self.body = transport.value().partition(b"\r\n\r\n")
        status_line, *header_lines = raw_head.split(b"\r\n")
        self.code = int(status_line.split(b" ")[1])
        self.headers = Headers()
        for line in header_lines:
            name, _, value = line.partition(b": ")
            self.headers.addRawHeader(name, value)

    def header(self, name):
        return self.headers.getRawHeaders(name)


class DashboardResourceTests(SynchronousTestCase):
    def setUp(self):
        venue = open_venue(seal(Config()), Clock())
        metrics = MetricsPage(CollectorRegistry())
        self.root = build_root(
            native_rest(venue).resource(), native_websocket(venue, venue_streams(venue)), metrics
        )

    def _get(self, path, accept=None):
        return _Answer(self.root, path, accept)

    def test_a_browser_gets_the_page_at_the_root(self):
        answer = self._get("/", BROWSER)
        self.assertEqual(answer.code, 200)
        self.assertTrue(answer.header("content-type")[0].startswith("text/html"))
        self.assertEqual(answer.body, (STATIC / "index.html").read_bytes())
        self.assertEqual(answer.header("vary"), ["accept"])

    def test_a_client_asking_for_json_gets_the_index(self):
        for accept in ("application/json", "*/*", None):
            self.assertEqual(json.loads(self._get("/", accept).body)["links"]["dashboard"], "/")

    def test_every_file_the_page_loads_is_served(self):
        page = (STATIC / "index.html").read_text(encoding="utf-8")
        for name in ("dashboard.css", "dashboard.js", "plotly.min.js"):
            self.assertIn(f"/dashboard/{name}", page)
        for path in STATIC.iterdir():
            if path.name != "index.html":
                answer = self._get(f"/dashboard/{path.name}")
                self.assertEqual((answer.code, answer.body), (200, path.read_bytes()), path.name)
        [script_type] = self._get("/dashboard/dashboard.js").header("content-type")
        self.assertIn(script_type, ("text/javascript", "application/javascript"))  # a module script needs it

    def test_plotly_comes_from_the_installed_package(self):
        answer = self._get("/dashboard/plotly.min.js")
        self.assertEqual(answer.code, 200)
        self.assertIn(b"window.Plotly = Plotly", answer.body)

    def test_there_is_no_listing_and_no_other_file(self):
        for path in (
            "/dashboard/",
            "/dashboard/index.html",
            "/dashboard/__init__.py",
            "/dashboard/../setup.cfg",
        ):
            self.assertEqual(self._get(path).code, 404, path)
