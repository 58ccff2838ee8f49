"""Faults from ``X-Sim-Fault-*`` headers cannot starve the operator: a bound of their own, listed and
audited, cleared by the admin; and a rest fault's held requests end when the fault does."""

from twisted.web._newclient import ResponseNeverReceived

from .wiring import FaultCase

SLOW = {"X-Sim-Fault-Mode": "delay", "X-Sim-Fault-Base-Ms": "10m"}


class HeaderFaultTests(FaultCase):
    failures = {"allow_header_control": True}

    def held_requests(self, count, headers=SLOW):
        return [self.send("GET", "/health", headers=headers) for _ in range(count)]

    def test_anonymous_header_faults_leave_the_operator_room(self):
        held = self.held_requests(64)
        refused = [self.answer(sent) for sent in held[16:]]
        assert {(code, body["error"]["code"]) for code, body, _ in refused} == {(429, "TOO_MANY_FAULTS")}
        assert "[failures] max_header_faults" in refused[0][1]["error"]["message"]
        for sent in held[:16]:
            self.assertNoResult(sent)
        code, _ = self.admin("POST", "", {"name": "mine", "mode": "error", "route": "DELETE /x"})
        assert code == 201  # max_active_faults is the operator's: header faults do not count toward it
        code, listing = self.admin("GET", "")
        assert [fault["name"] for fault in listing["faults"]] == ["mine"]
        headers = listing["header_faults"]
        assert [header["name"] for header in headers] == [f"header-{n}" for n in range(1, 17)]
        first = headers[0]
        assert (first["mode"], first["route"], first["peer"], first["given"]["base_ms"]) == (
            "delay",
            "GET /api/v1/health",
            "127.0.0.1",
            "10m",
        )
        assert (first["live"], first["hits"], first["held"]) == (True, 1, 1)
        assert listing["max_header_faults"] == 16

    def test_each_header_fault_is_in_the_audit(self):
        self.held_requests(2)
        added = [e for e in self.controller.audit.recent if e["action"] == "header_fault_added"]
        assert [(e["fault"], e["fault_name"], e["route"]) for e in added] == [
            ("admin", "header-1", "GET /api/v1/health"),
            ("admin", "header-2", "GET /api/v1/health"),
        ]
        assert added[0]["given"] == {"mode": "delay", "base_ms": "10m", "layer": "rest"}

    def test_the_admin_clears_header_faults_and_their_requests_go_on(self):
        held = self.held_requests(3)
        code, body = self.admin("DELETE", "/headers/header-2")
        assert (code, body) == (200, {"cleared": ["header-2"]})
        assert self.answer(held[1])[0] == 200
        self.assertNoResult(held[0])
        code, body = self.admin("DELETE", "/headers")
        assert (code, body) == (200, {"cleared": ["header-1", "header-3"]})
        assert [self.answer(sent)[0] for sent in (held[0], held[2])] == [200, 200]
        assert self.admin("GET", "")[1]["header_faults"] == []
        (cleared, _) = [e for e in self.controller.audit.recent if e["action"] == "header_faults_cleared"]
        assert cleared["faults"] == ["header-2"]
        code, body = self.admin("DELETE", "/headers/header-2")
        assert (code, body["error"]["code"]) == (404, "UNKNOWN_FAULT")

    def test_a_cleared_hanging_drop_closes_its_request_at_once(self):
        (sent,) = self.held_requests(1, {"X-Sim-Fault-Mode": "drop", "X-Sim-Fault-Hang": "true"})
        self.settle(60)
        self.assertNoResult(sent)
        assert self.admin("DELETE", "/headers")[0] == 200
        self.settle()
        self.failureResultOf(sent, ResponseNeverReceived)

    def test_halt_clears_header_faults_too(self):
        held = self.held_requests(2)
        assert self.admin("POST", "/halt")[0] == 200
        assert [self.answer(sent)[0] for sent in held] == [200, 200]
        assert self.controller.header_active == {}

    def test_header_faults_are_one_label_in_the_metrics(self):
        for _ in range(3):
            assert self.call("GET", "/health", headers={"X-Sim-Fault-Mode": "error"})[0] == 503
        counted = {key: count for key, count in self.controller.audit.counts.items() if key[2] != "admin"}
        assert counted == {("header", "error", "pre_engine"): 3}


class RestHoldsEndWithTheirFaultTests(FaultCase):
    def test_removing_a_rest_delay_lets_the_requests_it_holds_go_on(self):
        self.put_fault("slow", mode="delay", route="GET /api/v1/health", base_ms="50m")
        held = [self.send("GET", "/health") for _ in range(2)]
        self.settle(1)
        for sent in held:
            self.assertNoResult(sent)
        code, body = self.admin("DELETE", "/slow")
        assert (code, body) == (200, {"removed": "slow", "released": 2})
        assert [self.answer(sent)[0] for sent in held] == [200, 200]

    def test_replacing_or_halting_ends_the_holds_too(self):
        self.put_fault("slow", mode="delay", route="GET /api/v1/health", base_ms="50m")
        first = self.send("GET", "/health")
        self.put_fault("slow", mode="delay", route="GET /api/v1/health", base_ms="40m")  # a PATCH's effect
        assert self.answer(first)[0] == 200
        second = self.send("GET", "/health")
        self.controller.halt()
        assert self.answer(second)[0] == 200


class StopTests(FaultCase):
    def test_stopping_leaves_no_timer_and_serves_no_held_request(self):
        self.put_fault("slow", mode="delay", route="POST /api/v1/orders", base_ms="50m")
        sent = self.as_bob("POST", "/orders", self.order("late"))
        self.settle(1)
        self.controller.stop()
        holds = [call for call in self.clock.getDelayedCalls() if call.func == self.controller._held_enough]
        assert holds == []
        self.settle(3600)
        self.assertNoResult(sent)
        assert self.bobs_orders() == []


IGNORED = b"x-sim-fault-ignored"


class IgnoredHeaderFaultTests(FaultCase):
    """A header fault that is not applied is answered as usual, with a header saying why."""

    def test_while_header_control_is_off_the_answer_says_so(self):
        code, _, headers = self.answer(self.send("GET", "/health", headers={"X-Sim-Fault-Mode": "error"}))
        assert code == 200
        assert headers.getRawHeaders(IGNORED) == [
            b"[failures] allow_header_control = false: X-Sim-Fault-* headers are not applied"
            b" (set it to true to allow them)"
        ]
        self.put_fault("slow", mode="delay", route="POST /api/v1/orders", base_ms="1ms")  # the faulted path
        code, _, headers = self.answer(self.send("GET", "/health", headers={"X-Sim-Fault-Mode": "error"}))
        assert (code, headers.getRawHeaders(IGNORED) is not None) == (200, True)

    def test_a_request_without_a_header_fault_gets_no_such_header(self):
        _, _, headers = self.answer(self.send("GET", "/health"))
        assert not headers.hasHeader(IGNORED)


class HaltedHeaderFaultTests(FaultCase):
    failures = {"allow_header_control": True}

    def test_while_faults_are_halted_the_answer_says_so(self):
        self.controller.halt()
        code, _, headers = self.answer(self.send("GET", "/health", headers={"X-Sim-Fault-Mode": "error"}))
        assert code == 200
        assert headers.getRawHeaders(IGNORED) == [
            b"fault injection is halted: POST /api/v1/admin/failures/resume applies faults again"
        ]
        self.controller.resume()
        code, _, headers = self.answer(self.send("GET", "/health", headers={"X-Sim-Fault-Mode": "error"}))
        assert (code, headers.hasHeader(IGNORED)) == (503, False)
