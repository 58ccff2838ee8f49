"""The rest of the security surface: every admin route wants the token and loopback, the audit
channel too, no CORS unless asked for, no credential in the logs, and no exemption for the dashboard."""

import re

from twisted.internet.address import IPv4Address
from twisted.logger import capturedLogs, formatEvent
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.api.admin import AdminAPI
from exchangesim.api.admin.accounts import AccountsAdmin
from exchangesim.api.admin.clock import ClockAdmin
from exchangesim.api.admin.conditions import ConditionsAdmin
from exchangesim.api.admin.failures import FailuresAdmin
from exchangesim.api.admin.market import MarketAdmin
from exchangesim.config import AccountConfig
from exchangesim.signing import sign_payload

from ..memory_service import MemoryService, memory_config, request_bytes, status_and_json

TOKEN = "admin-token-0001"
ALICE_KEY, ALICE_SECRET = "alice-key-0001", "alice-secret"
REMOTE = IPv4Address("TCP", "192.0.2.7", 40000)


def admin_routes():
    """(method, path) of every admin route, path parameters filled in."""
    apps = {
        "accounts": AccountsAdmin,
        "market": MarketAdmin,
        "conditions": ConditionsAdmin,
        "clock": ClockAdmin,
        "failures": FailuresAdmin,
    }
    assert {rule.rule.split("/")[1] for rule in AdminAPI.app.url_map.iter_rules()} == set(apps)
    for name, admin in apps.items():
        prefix = f"/api/v1/admin/{name}"
        for rule in admin.app.url_map.iter_rules():
            path = re.sub(r"<[^>]+>", "x", prefix + rule.rule).rstrip("/")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


class SurfaceCase(SynchronousTestCase):
    def setUp(self):
        config = memory_config()
        config.server.admin_token = TOKEN
        config.named_accounts["alice"] = AccountConfig(api_key=ALICE_KEY, api_secret=ALICE_SECRET)
        self.sim = MemoryService(config)

    def call(self, method, path, *headers, peer=None, body=b""):
        raw = request_bytes(method, path, *headers, body=body)
        answer = self.sim.http(raw) if peer is None else self.sim.http(raw, peer=peer)
        return status_and_json(answer.received)


class AdminTests(SurfaceCase):
    def test_every_admin_route_refuses_a_request_without_the_token(self):
        routes = list(admin_routes())
        assert len(routes) >= 20  # the listing found the routes
        for method, path in routes:
            status, body, _ = self.call(method, path, "X-Admin-Token: not-it", body=b"{}")
            assert (status, body["error"]["code"]) == (401, "INVALID_ADMIN_TOKEN"), (method, path)

    def test_every_admin_route_refuses_a_remote_peer_even_with_the_token(self):
        for method, path in admin_routes():
            status, body, _ = self.call(method, path, f"X-Admin-Token: {TOKEN}", peer=REMOTE, body=b"{}")
            assert (status, body["error"]["code"]) == (403, "ADMIN_LOOPBACK_ONLY"), (method, path)

    def test_the_audit_channel_wants_the_token(self):
        websocket = self.sim.websocket("/ws")
        (reply,) = self.sim.send_json(
            websocket, {"op": "subscribe", "channel": "FAULTS", "admin_token": "no"}
        )
        assert reply["error"]["code"] == "INVALID_ADMIN_TOKEN"


class BrowserTests(SurfaceCase):
    def test_no_cors_header_is_sent_to_another_origin(self):
        origin = "Origin: http://elsewhere.example"
        for method, path in (
            ("GET", "/api/v1/balance"),
            ("OPTIONS", "/api/v1/orders"),
            ("GET", "/api/v3/time"),
        ):
            answer = self.sim.http(request_bytes(method, path, origin, "Access-Control-Request-Method: POST"))
            assert b"access-control-allow" not in answer.received.lower(), (method, path)

    def test_a_request_from_the_dashboard_page_gets_no_exemption(self):
        page = ("Referer: http://127.0.0.1:8765/", "Origin: http://127.0.0.1:8765")
        status, body, _ = self.call("GET", "/api/v1/admin/accounts", *page)
        assert (status, body["error"]["code"]) == (401, "INVALID_ADMIN_TOKEN")
        status, body, _ = self.call("GET", "/api/v1/balance", *page, "X-API-Key: unknown-key-0001")
        assert (status, body["error"]["code"]) == (401, "INVALID_API_KEY")


class LogTests(SurfaceCase):
    def test_no_key_token_or_signature_reaches_the_log(self):
        text = f"symbol=BTCUSD&timestamp={int(self.sim.reactor.seconds() * 1000)}"
        signature = sign_payload(ALICE_SECRET, text.encode())
        with capturedLogs() as events:
            self.call("GET", f"/api/v3/account?{text}&signature={signature}", f"X-MBX-APIKEY: {ALICE_KEY}")
            self.call("GET", "/api/v1/balance", f"X-API-Key: {ALICE_KEY}")
            self.call("GET", "/api/v1/admin/accounts", f"X-Admin-Token: {TOKEN}")
        logged = "\n".join(formatEvent(event) for event in events)
        assert "signature=<redacted>" in logged  # the access log did record the request
        for secret in (signature, ALICE_KEY, ALICE_SECRET, TOKEN):
            assert secret not in logged

    def test_a_configuration_shows_no_secret_when_printed(self):
        text = repr(self.sim.service.config)  # the sealed copy the services hold
        assert TOKEN not in text and ALICE_SECRET not in text
        assert "api_secret='***'" in text and "admin_token='***'" in text
