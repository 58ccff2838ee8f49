"""The dashboard's files as served: the page for ``/`` to a browser, its assets and plotly.js under
``/dashboard``, nothing else (no listing), and the JSON index for clients that do not ask for HTML."""

import json

from prometheus_client import CollectorRegistry
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import getChildForRequest
from twisted.web.server import NOT_DONE_YET
from twisted.web.test.requesthelper import DummyRequest

from exchangesim.api.native import NativeAPI, NativeWebSocketFactory
from exchangesim.api.site import build_root
from exchangesim.config import Config, seal
from exchangesim.dashboard._resource import STATIC
from exchangesim.metrics import MetricsPage
from exchangesim.venue import open_venue

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _Answer:
    """What a GET of ``path`` answered: status, headers and body (files are streamed by a producer,
    which ``DummyRequest`` drives to the end)."""

    def __init__(self, root, path, accept=None):
        request = DummyRequest(path.lstrip("/").encode().split(b"/"))
        if accept is not None:
            request.requestHeaders.setRawHeaders(b"accept", [accept.encode()])
        result = getChildForRequest(root, request).render(request)
        if result is not NOT_DONE_YET:
            request.write(result)
            request.finish()
        self.code = request.responseCode or 200
        self.body = b"".join(request.written)
        self.headers = request.responseHeaders

    def header(self, name):
        return self.headers.getRawHeaders(name)


class DashboardResourceTests(SynchronousTestCase):
    def setUp(self):
        venue = open_venue(seal(Config()), Clock())
        metrics = MetricsPage(CollectorRegistry())
        self.root = build_root(NativeAPI(venue).resource(), NativeWebSocketFactory(venue), metrics)

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
