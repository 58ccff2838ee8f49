"""The resource tree: the index, and the native API mounted under /api/v1."""

import json

from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.api.native import NativeAPI, NativeWebSocketFactory
from exchangesim.api.site import build_root
from exchangesim.config import Config


class SiteTests(SynchronousTestCase):
    def setUp(self):
        clock = Clock()
        root = build_root(NativeAPI(Config(), clock).resource(), NativeWebSocketFactory(clock))
        self.http = StubTreq(root)

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
