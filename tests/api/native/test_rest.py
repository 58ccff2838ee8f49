"""The native REST routes, in memory with StubTreq and a fake clock."""

import json

from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from exchangesim import __version__
from exchangesim.api.native import NativeAPI
from exchangesim.config import Config


class HealthTests(SynchronousTestCase):
    def setUp(self):
        self.clock = Clock()
        self.clock.advance(1000)
        config = Config()
        config.exchange.seed = 7
        self.http = StubTreq(NativeAPI(config, self.clock).resource())

    def _get(self, path, method="GET"):
        response = self.successResultOf(self.http.request(method, f"http://sim{path}"))
        body = self.successResultOf(response.content())
        return response, json.loads(body)

    def test_health_reports_status_version_uptime_and_seed(self):
        self.clock.advance(2.5)
        response, body = self._get("/health")
        self.assertEqual(response.code, 200)
        self.assertEqual(response.headers.getRawHeaders("content-type"), ["application/json"])
        self.assertEqual(body, {"status": "ok", "version": __version__, "uptime_ms": 2500, "seed": 7})

    def test_an_unknown_path_is_a_json_404(self):
        response, body = self._get("/nope")
        self.assertEqual(response.code, 404)
        self.assertEqual(body["error"]["code"], "NOT_FOUND")
        self.assertEqual(body["error"]["field"], "path")

    def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(self):
        response, body = self._get("/health", method="DELETE")
        self.assertEqual(response.code, 405)
        self.assertEqual(body["error"]["code"], "METHOD_NOT_ALLOWED")
        self.assertIn("GET", response.headers.getRawHeaders("allow")[0])
