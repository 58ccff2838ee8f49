"""Fault control under ``/api/v1/admin/failures``, served as the daemon serves it (faults wrap the API)."""

import json

from twisted.internet.address import IPv4Address
from twisted.web.server import Site

from ...failures.wiring import BOB_KEY, FaultCase, connect_ws, http_request, pump_ws, raw_http, take, ws_send

DROP = {"mode": "drop", "layer": "ws", "channel": "TRADES", "probability": 0.5}
SLOW_HEALTH = {"mode": "error", "route": "GET /api/v1/health"}


class FaultListTests(FaultCase):
    faults = {"configured": {"mode": "delay", "layer": "ws", "base_ms": "250ms"}}

    def test_list_and_get_show_the_keys_as_given_and_as_resolved(self):
        code, listed = self.admin("GET", "")
        assert (code, listed["enabled"], listed["allow_header_control"]) == (200, True, False)
        assert listed["seed"] == self.controller.seed
        (fault,) = listed["faults"]
        assert (fault["name"], fault["mode"], fault["live"], fault["hits"], fault["held"]) == (
            "configured",
            "delay",
            True,
            0,
            0,
        )
        assert fault["given"]["base_ms"] == "250ms" and fault["resolved"]["base_ms"] == 250.0
        code, one = self.admin("GET", "/configured")
        assert (code, one) == (200, fault)
        code, body = self.admin("GET", "/nothing")
        assert (code, body["error"]["code"]) == (404, "UNKNOWN_FAULT")
        assert "configured" in body["error"]["message"]

    def test_modes_lists_every_built_in_mode_with_its_parameters(self):
        code, body = self.admin("GET", "/modes")
        modes = {mode["name"]: mode for mode in body["modes"]}
        assert code == 200
        assert {
            "drop",
            "delay",
            "duplicate",
            "reorder",
            "corrupt",
            "throttle",
            "error",
            "stall",
            "disconnect",
            "bandwidth",
            "slot",
            "outage",
        } <= modes.keys()
        assert modes["drop"]["layers"] == ["rest", "ws"]
        assert modes["drop"]["stages"] == ["pre_engine", "post_engine"]
        hold = next(p for p in modes["drop"]["parameters"] if p["name"] == "hold_ms")
        assert (hold["kind"], hold["unit"]) == ("duration", "ms")


class ChangeTests(FaultCase):
    def test_post_adds_a_fault_that_acts_at_once(self):
        code, added = self.admin("POST", "", {"name": "health-down", **SLOW_HEALTH})
        assert (code, added["name"], added["live"]) == (201, "health-down", True)
        assert self.call("GET", "/health")[0] == 503
        code, body = self.admin("POST", "", {"name": "health-down", **SLOW_HEALTH})
        assert (code, body["error"]["code"]) == (409, "DUPLICATE_FAULT")
        code, body = self.admin("POST", "", SLOW_HEALTH)
        assert (code, body["error"]["field"]) == (400, "name")

    def test_a_bad_fault_lists_every_problem_and_adds_nothing(self):
        code, body = self.admin(
            "POST", "", {"name": "bad", "mode": "delay", "layer": "ws", "probability": 2, "base_ms": "-1"}
        )
        assert (code, body["error"]["code"]) == (400, "INVALID_FAULT")
        assert {problem["field"] for problem in body["error"]["problems"]} == {"probability", "base_ms"}
        code, body = self.admin("POST", "", {"name": "bad", "mode": "warp"})
        assert (code, body["error"]["field"]) == (400, "mode") and "drop" in body["error"]["message"]
        assert self.controller.faults == {}

    def test_put_creates_then_replaces_with_exactly_the_keys_given(self):
        code, created = self.admin("PUT", "/trades-loss", DROP)
        assert (code, created["resolved"]["probability"]) == (201, 0.5)
        code, replaced = self.admin("PUT", "/trades-loss", {"mode": "drop", "layer": "ws"})
        assert code == 200
        assert "channel" not in replaced["given"] and replaced["resolved"]["probability"] == 1.0
        actions = [event["action"] for event in self.controller.audit.recent]
        assert actions == ["fault_added", "fault_replaced"]

    def test_patch_changes_some_keys_and_null_puts_one_back_to_its_default(self):
        self.admin("PUT", "/trades-loss", DROP)
        code, patched = self.admin("PATCH", "/trades-loss", {"probability": 0.25, "channel": None})
        assert code == 200
        assert patched["given"] == {"mode": "drop", "layer": "ws", "probability": "0.25"}
        assert "channel" not in patched["resolved"]
        code, body = self.admin("PATCH", "/trades-loss", {"probability": 7})
        assert (code, body["error"]["field"]) == (400, "probability")
        assert self.controller.faults["trades-loss"].spec.probability == 0.25
        assert self.admin("PATCH", "/nothing", {"probability": 0.1})[0] == 404

    def test_delete_removes_a_fault(self):
        self.admin("POST", "", {"name": "health-down", **SLOW_HEALTH})
        code, body = self.admin("DELETE", "/health-down")
        assert (code, body) == (200, {"removed": "health-down", "released": 0})
        assert self.call("GET", "/health")[0] == 200
        assert self.admin("DELETE", "/health-down")[0] == 404

    def test_halt_stops_every_fault_and_resume_brings_them_back(self):
        self.admin("POST", "", {"name": "health-down", **SLOW_HEALTH})
        code, body = self.admin("POST", "/halt")
        assert (code, body["enabled"], body["faults"][0]["live"]) == (200, False, False)
        assert self.call("GET", "/health")[0] == 200
        code, body = self.admin("POST", "/resume")
        assert (code, body["enabled"]) == (200, True)
        assert self.call("GET", "/health")[0] == 503


class StartHaltedTests(FaultCase):
    failures = {"enabled": False}
    faults = {"health-down": SLOW_HEALTH}

    def test_configured_faults_wait_for_resume_when_failures_are_not_enabled(self):
        assert self.call("GET", "/health")[0] == 200
        assert self.admin("GET", "")[1]["enabled"] is False
        self.admin("POST", "/resume")
        assert self.call("GET", "/health")[0] == 503


class ApplyTests(FaultCase):
    faults = {"old": {"mode": "error", "route": "GET /api/v1/ticker"}}

    def test_apply_replaces_the_whole_set(self):
        code, body = self.admin("PUT", "", {"faults": {"health-down": SLOW_HEALTH, "trades-loss": DROP}})
        assert code == 200
        assert [fault["name"] for fault in body["faults"]] == ["health-down", "trades-loss"]
        assert self.call("GET", "/health")[0] == 503
        assert self.call("GET", "/ticker?symbol=BTC/USD")[0] == 200

    def test_one_bad_fault_refuses_the_whole_set_listing_every_problem(self):
        code, body = self.admin(
            "PUT",
            "",
            {
                "faults": {
                    "fine": SLOW_HEALTH,
                    "bad-one": {"mode": "drop", "layer": "ws", "probability": -1},
                    "bad-two": {"mode": "delay", "layer": "rest", "distribution": "cauchy", "colour": 1},
                    "bad-three": "drop",
                }
            },
        )
        assert (code, body["error"]["code"]) == (400, "INVALID_FAULT")
        problems = {(problem["fault"], problem["field"]) for problem in body["error"]["problems"]}
        assert problems == {
            ("bad-one", "probability"),
            ("bad-two", "distribution"),
            ("bad-two", "colour"),
            ("bad-three", None),
        }
        assert list(self.controller.faults) == ["old"]
        assert self.call("GET", "/health")[0] == 200
        assert self.call("GET", "/ticker?symbol=BTC/USD")[0] == 503

    def test_apply_wants_an_object_of_faults(self):
        for body in ({}, {"faults": []}, {"faults": {}, "extra": 1}):
            assert self.admin("PUT", "", body)[0] == 400, body
        assert list(self.controller.faults) == ["old"]


class LimitTests(FaultCase):
    failures = {"max_active_faults": 2}
    faults = {"one": SLOW_HEALTH}

    def test_over_max_active_faults_is_refused_409(self):
        assert self.admin("POST", "", {"name": "two", **DROP})[0] == 201
        code, body = self.admin("POST", "", {"name": "three", **DROP})
        assert (code, body["error"]["code"]) == (409, "TOO_MANY_FAULTS")
        assert self.admin("PUT", "/three", DROP)[0] == 409
        assert self.admin("PUT", "/two", {**DROP, "probability": 0.1})[0] == 200, "a replacement adds none"
        code, body = self.admin("PUT", "", {"faults": {f"f{n}": DROP for n in range(3)}})
        assert (code, body["error"]["code"]) == (409, "TOO_MANY_FAULTS")
        assert sorted(self.controller.faults) == ["one", "two"]


class GuardTests(FaultCase):
    def test_without_the_token_nothing_is_read_or_changed(self):
        for method, path, body in [
            ("GET", "", None),
            ("POST", "", {"name": "x", **SLOW_HEALTH}),
            ("PUT", "", {"faults": {}}),
            ("POST", "/halt", None),
            ("GET", "/events", None),
            ("DELETE", "/connections/ws-1", None),
        ]:
            code, reply = self.admin(method, path, body, token="wrong")
            assert (code, reply["error"]["code"]) == (401, "INVALID_ADMIN_TOKEN"), (method, path)
        assert self.controller.faults == {} and not self.controller.halted

    def test_from_a_non_loopback_peer_it_is_refused_403(self):
        site = Site(self.root)
        headers = {"X-Admin-Token": self.venue.admin_token}
        for host, status in [("192.0.2.7", b"403"), ("127.0.0.1", b"200")]:
            _, transport = raw_http(
                site, http_request("GET", "/api/v1/admin/failures", headers), IPv4Address("TCP", host, 5000)
            )
            assert transport.value().split(b" ")[1] == status, host
            if status == b"403":
                assert b"ADMIN_LOOPBACK_ONLY" in transport.value()

    def test_malformed_json_is_refused_400(self):
        headers = {"X-Admin-Token": self.venue.admin_token, "Content-Type": "application/json"}
        for raw in (b"{not json", b"[1, 2]", b'"drop"'):
            response = self.successResultOf(
                self.http.request("POST", "http://127.0.0.1/api/v1/admin/failures", data=raw, headers=headers)
            )
            body = json.loads(self.successResultOf(response.content()))
            assert (response.code, body["error"]["code"]) == (400, "INVALID_JSON"), raw
        assert self.controller.faults == {}


class ConnectionTests(FaultCase):
    def test_connections_list_their_faults_and_queues_and_can_be_killed(self):
        self.admin("PUT", "/slow-trades", {"mode": "delay", "layer": "ws", "base_ms": "1s"})
        client, pump = connect_ws(self)
        ws_send(self, client, pump, {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD"})
        code, body = self.admin("GET", "/connections")
        (connection,) = body["connections"]
        assert code == 200
        assert (connection["id"], connection["layer"], connection["faults"]) == (
            "ws-1",
            "ws",
            ["slow-trades"],
        )
        assert connection["held_by_faults"] == 1, "the SUBSCRIBED reply waits behind the delay"
        code, body = self.admin("DELETE", "/connections/ws-1")
        assert (code, body) == (200, {"killed": "ws-1"})
        pump_ws(self, pump)
        assert client.factory.closed is not None
        assert self.admin("GET", "/connections")[1] == {"connections": []}
        code, body = self.admin("DELETE", "/connections/ws-1")
        assert (code, body["error"]["code"]) == (404, "UNKNOWN_CONNECTION")

    def test_deleting_a_fault_reports_and_releases_what_it_held_in_order(self):
        self.admin("PUT", "/slow", {"mode": "delay", "layer": "ws", "direction": "out", "base_ms": "10s"})
        client, pump = connect_ws(self)
        ws_send(
            self, client, pump, {"op": "ping"}, {"op": "subscribe", "channel": "TICKER", "symbol": "BTC/USD"}
        )
        assert take(client) == []
        code, body = self.admin("DELETE", "/slow")
        assert (code, body) == (200, {"removed": "slow", "released": 3})
        pump_ws(self, pump)
        assert [message["type"] for message in take(client)] == ["PONG", "SUBSCRIBED", "MARKET_DATA"]


class AuditEventTests(FaultCase):
    def test_events_pages_through_the_audit_after_a_sequence_number(self):
        self.admin("POST", "", {"name": "health-down", **SLOW_HEALTH})
        for _ in range(3):
            self.call("GET", "/health")
        code, body = self.admin("GET", "/events")
        events = body["events"]
        assert code == 200
        assert [(e["fault"], e["action"]) for e in events] == [("admin", "fault_added")] + [
            ("health-down", "error")
        ] * 3
        assert [e["audit_seq"] for e in events] == [1, 2, 3, 4]
        code, body = self.admin("GET", "/events?after=2&limit=1")
        assert [e["audit_seq"] for e in body["events"]] == [3]
        assert self.admin("GET", "/events?limit=0")[0] == 400
        assert self.admin("GET", "/events?after=x")[0] == 400

    def test_every_change_is_a_control_event(self):
        self.admin("POST", "", {"name": "a", **SLOW_HEALTH})
        self.admin("PATCH", "/a", {"probability": 0.5})
        self.admin("POST", "/halt")
        self.admin("POST", "/resume")
        self.admin("PUT", "", {"faults": {"b": DROP}})
        self.admin("DELETE", "/b")
        control = [(e["fault"], e["layer"], e["action"]) for e in self.controller.audit.recent]
        assert control == [
            ("admin", "admin", action)
            for action in (
                "fault_added",
                "fault_changed",
                "faults_halted",
                "faults_resumed",
                "faults_applied",
                "fault_removed",
            )
        ]
        assert self.controller.audit.recent[4]["faults"] == ["b"]


class MarketControlAuditTests(FaultCase):
    def setUp(self):
        super().setUp()
        self.market = self.venue.market
        self.market.startService()
        self.addCleanup(self.market.stopService)

    def test_market_control_actions_are_audit_control_events(self):
        token = {"X-Admin-Token": self.venue.admin_token}
        assert self.call("POST", "/admin/market/pause", {"symbol": "BTC/USD"}, token)[0] == 200
        body = {"symbol": "BTC/USD", "fraction": "-0.1", "duration_ms": 10}
        assert self.call("POST", "/admin/market/jump", body, token)[0] == 200
        assert self.call("POST", "/admin/market/resume", {"symbol": "BTC/USD"}, token)[0] == 200
        assert self.call("POST", "/admin/market/pause", {"symbol": "DOGE/USD"}, token)[0] == 400
        events = self.admin("GET", "/events")[1]["events"]
        assert [(e["fault"], e["action"], e["symbol"]) for e in events] == [
            ("admin", "market_pause", "BTC/USD"),
            ("admin", "condition_added", "BTC/USD"),  # a flash crash is a crash condition
            ("admin", "market_jump", "BTC/USD"),
            ("admin", "market_resume", "BTC/USD"),
        ]
        assert (events[2]["fraction"], events[2]["duration_ms"]) == (-0.1, 10)


class UntouchedTests(FaultCase):
    def test_admin_requests_are_never_faulted(self):
        self.admin("PUT", "", {"faults": {"all-down": {"mode": "error", "layer": "rest"}}})
        assert self.call("GET", "/balance", headers={"X-API-Key": BOB_KEY})[0] == 503
        assert self.admin("GET", "/events")[0] == 200
        assert self.admin("DELETE", "/all-down")[0] == 200
        assert self.call("GET", "/balance", headers={"X-API-Key": BOB_KEY})[0] == 200
