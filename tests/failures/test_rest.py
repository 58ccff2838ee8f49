"""REST faults as the daemon serves them: what the engine did, what the client saw, what the audit says."""

from twisted.web._newclient import ResponseNeverReceived

from .wiring import BOB_KEY, FaultCase

ORDERS = "POST /api/v1/orders"


class DropTests(FaultCase):
    def test_a_pre_engine_drop_leaves_no_order_and_no_answer(self):
        self.put_fault("lost-request", mode="drop", stage="pre_engine", route=ORDERS)
        sent = self.as_bob("POST", "/orders", self.order("c-1"))
        self.settle()
        self.failureResultOf(sent, ResponseNeverReceived)
        assert self.bobs_orders() == []
        code, body = self.call("GET", "/orders/by-client-id/c-1", headers={"X-API-Key": BOB_KEY})
        assert (code, body["error"]["code"]) == (404, "UNKNOWN_ORDER")
        (event,) = self.audit()
        assert event["action"] == "drop" and event["stage"] == "pre_engine"
        assert (event["account"], event["client_order_id"], event["route"]) == ("bob", "c-1", ORDERS)
        assert event["engine_effect"].startswith("none")
        assert "order_id" not in event

    def test_a_post_engine_drop_rests_the_order_and_the_client_finds_it_by_client_order_id(self):
        self.put_fault("ack-loss", mode="drop", stage="post_engine", route=ORDERS)
        sent = self.as_bob("POST", "/orders", self.order("c-2"))
        self.settle()
        self.failureResultOf(sent, ResponseNeverReceived)
        (order,) = self.bobs_orders()
        assert (order.client_order_id, order.status) == ("c-2", "NEW")
        code, found = self.call("GET", "/orders/by-client-id/c-2", headers={"X-API-Key": BOB_KEY})
        assert (code, found["order_id"], found["status"]) == (200, str(order.order_id), "NEW")
        (event,) = self.audit()
        assert (event["stage"], event["order_id"], event["client_order_id"]) == (
            "post_engine",
            str(order.order_id),
            "c-2",
        )
        assert event["engine_effect"] == f"order {order.order_id} NEW"

    def test_a_drop_holds_the_request_for_hold_ms_before_closing(self):
        self.put_fault("slow-loss", mode="drop", stage="post_engine", route=ORDERS, hold_ms="500ms")
        sent = self.as_bob("POST", "/orders", self.order("c-3"))
        self.settle(0.499)
        self.assertNoResult(sent)
        self.settle(0.001)
        self.failureResultOf(sent, ResponseNeverReceived)

    def test_a_hanging_drop_neither_answers_nor_closes_until_max_fault_duration(self):
        self.put_fault("black-hole", mode="drop", stage="pre_engine", route=ORDERS, hang="true")
        sent = self.as_bob("POST", "/orders", self.order("c-4"))
        self.settle(3599.999)
        self.assertNoResult(sent)
        assert self.bobs_orders() == []
        assert self.audit(fault="black-hole", action="drop")
        self.settle(0.001)  # [failures] max_fault_duration (3600 s): no fault holds a request longer
        self.failureResultOf(sent, ResponseNeverReceived)
        assert self.bobs_orders() == []


class DuplicateTests(FaultCase):
    def test_a_duplicated_order_with_a_client_order_id_is_placed_once(self):
        self.put_fault("retrying-proxy", mode="duplicate", route=ORDERS)
        code, body, _ = self.answer(self.as_bob("POST", "/orders", self.order("once")))
        assert (code, body["client_order_id"]) == (201, "once")
        (order,) = self.bobs_orders()
        (event,) = self.audit()
        assert event["action"] == "duplicate" and event["answered"] == "first"
        assert event["engine_effect"] == (
            f"executed twice: order {order.order_id} NEW; then refused: DUPLICATE_CLIENT_ORDER_ID"
        )
        assert event["order_id"] == str(order.order_id) and event["duplicate_order_id"] is None

    def test_answer_second_returns_the_refusal_of_the_second_execution(self):
        self.put_fault("retrying-proxy", mode="duplicate", route=ORDERS, answer="second")
        code, body, _ = self.answer(self.as_bob("POST", "/orders", self.order("once")))
        (order,) = self.bobs_orders()
        assert (code, body["error"]["code"], body["error"]["order_id"]) == (
            409,
            "DUPLICATE_CLIENT_ORDER_ID",
            str(order.order_id),
        )
        assert self.audit()[0]["answered"] == "second"

    def test_without_a_client_order_id_the_order_is_placed_twice(self):
        self.put_fault("retrying-proxy", mode="duplicate", route=ORDERS)
        code, body, _ = self.answer(self.as_bob("POST", "/orders", self.order()))
        first, second = self.bobs_orders()
        assert (code, body["order_id"]) == (201, str(first.order_id))
        (event,) = self.audit()
        assert (event["order_id"], event["duplicate_order_id"]) == (
            str(first.order_id),
            str(second.order_id),
        )


class ErrorTests(FaultCase):
    def test_a_pre_engine_error_is_a_503_with_retry_after_and_no_order(self):
        self.put_fault("down", mode="error", route=ORDERS, retry_after_ms="2s")
        code, body, headers = self.answer(self.as_bob("POST", "/orders", self.order("e-1")))
        assert (code, body["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")
        assert headers.getRawHeaders("retry-after") == ["2"]
        assert self.bobs_orders() == []
        (event,) = self.audit()
        assert (event["action"], event["stage"], event["client_order_id"]) == ("error", "pre_engine", "e-1")

    def test_a_post_engine_error_hides_an_order_the_engine_placed(self):
        self.put_fault("lying", mode="error", stage="post_engine", route=ORDERS, status="500")
        code, body, _ = self.answer(self.as_bob("POST", "/orders", self.order("e-2")))
        assert (code, body["error"]["code"]) == (500, "INTERNAL")
        (order,) = self.bobs_orders()
        assert order.client_order_id == "e-2"
        (event,) = self.audit()
        assert (event["stage"], event["order_id"], event["http_status"]) == (
            "post_engine",
            str(order.order_id),
            201,
        )

    def test_an_outage_answers_503_with_retry_after(self):
        self.put_fault("venue-down", mode="outage", layer="rest")
        code, body, headers = self.answer(self.send("GET", "/ticker?symbol=BTC/USD"))
        assert (code, body["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")
        assert headers.getRawHeaders("retry-after") == ["5"]
        assert [event["action"] for event in self.audit()] == ["outage"]


class ThrottleTests(FaultCase):
    def test_over_the_rate_a_request_is_refused_429_with_retry_after_before_the_engine(self):
        self.put_fault("limit", mode="throttle", route=ORDERS, rate="0.5", burst="1", per="account")
        assert self.answer(self.as_bob("POST", "/orders", self.order("t-1")))[0] == 201
        code, body, headers = self.answer(self.as_bob("POST", "/orders", self.order("t-2")))
        assert (code, body["error"]["code"]) == (429, "THROTTLED")
        assert headers.getRawHeaders("retry-after") == ["2"]
        assert [order.client_order_id for order in self.bobs_orders()] == ["t-1"]
        (event,) = self.audit()
        assert (event["action"], event["client_order_id"]) == ("throttle", "t-2")
        self.clock.advance(2)
        assert self.answer(self.as_bob("POST", "/orders", self.order("t-3")))[0] == 201


class CorruptTests(FaultCase):
    def test_a_corrupted_answer_keeps_its_status_and_the_audit_names_the_order(self):
        self.put_fault("garble", mode="corrupt", route=ORDERS, kind="drop_key")
        code, body, _ = self.answer(self.as_bob("POST", "/orders", self.order("x-1")))
        (order,) = self.bobs_orders()
        assert code == 201
        intact = {"order_id", "client_order_id", "symbol", "side", "type", "status", "price", "quantity"}
        assert not intact <= body.keys(), "one key of the answer is missing"
        (event,) = self.audit()
        assert (event["action"], event["corruption"], event["order_id"]) == (
            "corrupt",
            "drop_key",
            str(order.order_id),
        )

    def test_invalid_utf8_keeps_the_status_and_breaks_the_body(self):
        self.put_fault("garble", mode="corrupt", route=ORDERS, kind="invalid_utf8")
        code, body, _ = self.answer(self.as_bob("POST", "/orders", self.order("x-2")))
        assert code == 201 and b"\xff\xfe" in body
        assert len(self.bobs_orders()) == 1


class DelayAndStallTests(FaultCase):
    def test_a_pre_engine_delay_holds_the_request_before_the_engine(self):
        self.put_fault("slow", mode="delay", route=ORDERS, base_ms="250ms")
        sent = self.as_bob("POST", "/orders", self.order("d-1"))
        self.settle(0.249)
        self.assertNoResult(sent)
        assert self.bobs_orders() == []
        self.settle(0.001)
        assert self.answer(sent)[0] == 201
        assert len(self.bobs_orders()) == 1
        (event,) = self.audit()
        assert (event["action"], event["delay_ms"], event["client_order_id"]) == ("delay", 250.0, "d-1")

    def test_a_post_engine_delay_holds_the_answer_of_an_order_already_placed(self):
        self.put_fault("slow-ack", mode="delay", stage="post_engine", route=ORDERS, base_ms="1s")
        sent = self.as_bob("POST", "/orders", self.order("d-2"))
        self.settle(0.999)
        self.assertNoResult(sent)
        (order,) = self.bobs_orders()
        self.settle(0.001)
        code, body, _ = self.answer(sent)
        assert (code, body["order_id"]) == (201, str(order.order_id))
        assert self.audit()[0]["order_id"] == str(order.order_id)

    def test_a_stall_holds_requests_until_it_ends(self):
        self.put_fault("freeze", mode="stall", route=ORDERS, duration="2s")
        sent = self.as_bob("POST", "/orders", self.order("s-1"))
        self.settle(1.5)
        self.assertNoResult(sent)
        assert self.bobs_orders() == []
        self.settle(0.5)
        assert self.answer(sent)[0] == 201
        assert [event["action"] for event in self.audit()] == ["stall"]

    def test_a_stall_without_end_answers_nothing_until_max_fault_duration(self):
        self.put_fault("freeze", mode="stall", stage="post_engine", route=ORDERS)
        sent = self.as_bob("POST", "/orders", self.order("s-2"))
        self.settle(3599.999)
        self.assertNoResult(sent)
        assert len(self.bobs_orders()) == 1
        self.settle(0.001)  # then its connection is closed unanswered
        self.failureResultOf(sent, ResponseNeverReceived)


class TargetingTests(FaultCase):
    def test_a_request_no_fault_hits_is_answered_as_without_faults(self):
        code, plain = self.call("GET", "/orderbook?symbol=BTC/USD")
        self.put_fault("other-route", mode="error", route="DELETE /api/v1/orders*")
        self.put_fault("never", mode="error", route="GET /api/v1/orderbook", probability="0")
        self.put_fault("other-symbol", mode="error", symbol="ETH/USD")
        assert self.call("GET", "/orderbook?symbol=BTC/USD") == (code, plain)
        assert self.audit() == []

    def test_admin_paths_are_never_faulted(self):
        self.put_fault("everything", mode="error", layer="rest")
        assert self.call("GET", "/health")[0] == 503
        code, listed = self.admin("GET", "")
        assert code == 200 and [fault["name"] for fault in listed["faults"]] == ["everything"]
        assert len(self.audit()) == 1

    def test_a_percent_encoded_path_is_targeted_and_exempted_as_the_routes_read_it(self):
        self.put_fault("orders-down", mode="error", route="GET /api/v1/orders")
        token = {"X-Admin-Token": self.venue.admin_token}
        assert self.call("GET", "/%6Frders", headers={"X-API-Key": BOB_KEY})[0] == 503
        self.put_fault("everything", mode="error", layer="rest")
        assert self.call("GET", "/%61dmin/failures", headers=token)[0] == 200

    def test_account_targeting_spares_other_accounts(self):
        self.put_fault("bob-only", mode="error", account="bob")
        assert self.call("GET", "/balance")[0] == 200
        assert self.answer(self.as_bob("GET", "/balance"))[0] == 503

    def test_a_halted_controller_faults_nothing(self):
        self.put_fault("everything", mode="error", layer="rest")
        self.controller.halt()
        assert self.call("GET", "/health")[0] == 200
        self.controller.resume()
        assert self.call("GET", "/health")[0] == 503

    def test_triggers_pick_which_requests_are_hit(self):
        self.put_fault("third-only", mode="error", route="GET /api/v1/health", after="2", count="1")
        assert [self.call("GET", "/health")[0] for _ in range(5)] == [200, 200, 503, 200, 200]


class AuditTests(FaultCase):
    def test_every_injected_fault_is_one_audit_event_naming_route_account_and_orders(self):
        cases = [
            ({"mode": "drop", "stage": "pre_engine"}, False),
            ({"mode": "drop", "stage": "post_engine"}, True),
            ({"mode": "error", "stage": "pre_engine"}, False),
            ({"mode": "error", "stage": "post_engine"}, True),
            ({"mode": "corrupt", "stage": "post_engine"}, True),
            ({"mode": "delay", "stage": "post_engine", "base_ms": "10"}, True),
            ({"mode": "duplicate"}, True),
            ({"mode": "throttle", "rate": "0.001", "burst": "1", "per": "all"}, False),
        ]
        for number, (keys, reached) in enumerate(cases):
            self.controller.apply([self.controller.parse("under-test", {"route": ORDERS, **keys})])
            before = len(self.audit())
            client_order_id = f"audit-{number}"
            if keys["mode"] == "throttle":  # the first request spends the bucket, the second is hit
                self.answer(self.as_bob("POST", "/orders", self.order(f"{client_order_id}-spent")))
            sent = self.as_bob("POST", "/orders", self.order(client_order_id))
            self.settle(1)
            sent.addErrback(lambda failure: None)  # dropped: never answered
            events = self.audit()[before:]
            assert len(events) == 1, (keys, events)
            (event,) = events
            assert event["route"] == ORDERS and event["account"] == "bob", keys
            assert event["client_order_id"] == client_order_id, keys
            assert event["engine_effect"], keys
            placed = [o for o in self.bobs_orders() if o.client_order_id == client_order_id]
            if reached:
                assert event["order_id"] == str(placed[0].order_id), keys
            else:
                assert placed == [] and "order_id" not in event, keys


class HeaderControlTests(FaultCase):
    failures = {"allow_header_control": True, "max_active_faults": 2, "max_header_faults": 2}

    def test_a_request_carries_its_own_post_engine_error(self):
        headers = {"X-Sim-Fault-Mode": "error", "X-Sim-Fault-Stage": "post_engine"}
        code, body, _ = self.answer(self.as_bob("POST", "/orders", self.order("h-1"), headers))
        assert (code, body["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")
        assert [order.client_order_id for order in self.bobs_orders()] == ["h-1"]
        (event,) = self.audit()
        assert event["fault"].startswith("header-") and event["stage"] == "post_engine"
        assert self.answer(self.as_bob("POST", "/orders", self.order("h-2")))[0] == 201

    def test_header_parameters_reach_the_mode(self):
        headers = {"X-Sim-Fault-Mode": "delay", "X-Sim-Fault-Base-Ms": "300"}
        sent = self.send("GET", "/health", headers=headers)
        self.settle(0.299)
        self.assertNoResult(sent)
        self.settle(0.001)
        assert self.answer(sent)[0] == 200

    def test_a_bad_fault_header_is_refused_400_naming_the_header(self):
        for headers, field in [
            ({"X-Sim-Fault-Mode": "error", "X-Sim-Fault-Probability": "2"}, "x-sim-fault-probability"),
            ({"X-Sim-Fault-Mode": "explode"}, "x-sim-fault-mode"),
            ({"X-Sim-Fault-Stage": "post_engine"}, "x-sim-fault-mode"),
            ({"X-Sim-Fault-Mode": "error", "X-Sim-Fault-Colour": "red"}, "x-sim-fault-colour"),
        ]:
            code, body, _ = self.answer(self.as_bob("POST", "/orders", self.order(), headers))
            assert (code, body["error"]["code"], body["error"]["field"]) == (
                400,
                "INVALID_FAULT_HEADER",
                field,
            )
        assert self.bobs_orders() == []

    def test_header_faults_count_against_max_header_faults_only(self):
        self.put_fault("a", mode="delay", route="DELETE /x")
        self.put_fault("b", mode="delay", route="DELETE /y")  # max_active_faults is full
        slow = {"X-Sim-Fault-Mode": "delay", "X-Sim-Fault-Base-Ms": "10s"}
        held = [self.send("GET", "/health", headers=slow) for _ in range(2)]
        code, body = self.call("GET", "/health", headers={"X-Sim-Fault-Mode": "error"})
        assert (code, body["error"]["code"]) == (429, "TOO_MANY_FAULTS")
        assert "max_header_faults" in body["error"]["message"]
        self.settle(10)
        assert [self.answer(sent)[0] for sent in held] == [200, 200]
        assert self.call("GET", "/health", headers={"X-Sim-Fault-Mode": "error"})[0] == 503
        assert self.call("GET", "/health", headers={"X-Sim-Fault-Mode": "error"})[0] == 503

    def test_admin_paths_ignore_fault_headers(self):
        code, _ = self.call(
            "GET",
            "/admin/failures",
            headers={"X-Admin-Token": self.venue.admin_token, "X-Sim-Fault-Mode": "error"},
        )
        assert code == 200


class HeaderControlOffTests(FaultCase):
    def test_without_allow_header_control_fault_headers_are_ignored(self):
        headers = {"X-Sim-Fault-Mode": "error", "X-Sim-Fault-Stage": "pre_engine"}
        assert self.answer(self.as_bob("POST", "/orders", self.order("h-3"), headers))[0] == 201
        assert self.audit() == []
