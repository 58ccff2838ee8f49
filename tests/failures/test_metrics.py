"""Fault figures at ``/metrics``: injections by fault, action and stage, and what faults hold back."""

from prometheus_client.parser import text_string_to_metric_families

from .wiring import FaultCase, connect_ws, pump_ws, ws_send


class MetricsTests(FaultCase):
    def scrape(self):
        """{(sample name, labels as a sorted tuple): value} of the Prometheus text at /metrics."""
        response = self.successResultOf(self.http.get("http://127.0.0.1/metrics"))
        assert response.code == 200
        text = self.successResultOf(response.text())
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def test_injections_are_counted_by_fault_action_and_stage(self):
        self.put_fault("down", mode="error", route="GET /api/v1/health")
        self.put_fault("lying", mode="error", stage="post_engine", route="GET /api/v1/symbols")
        for _ in range(3):
            self.call("GET", "/health")
        self.call("GET", "/symbols")
        scraped = self.scrape()
        injected = {
            labels: value for (name, labels), value in scraped.items() if name == "faults_injected_total"
        }
        assert injected == {
            (("action", "error"), ("fault", "down"), ("stage", "pre_engine")): 3.0,
            (("action", "error"), ("fault", "lying"), ("stage", "post_engine")): 1.0,
        }
        assert scraped["faults_active", ()] == 2.0

    def test_operator_actions_are_not_counted_as_injected_faults(self):
        code, _ = self.call(
            "POST",
            "/admin/failures",
            {"name": "down", "mode": "error", "route": "GET /api/v1/health"},
            {"X-Admin-Token": self.venue.admin_token},
        )
        assert code == 201 and self.controller.audit.recent[0]["action"] == "fault_added"
        self.call("GET", "/health")
        injected = [labels for (name, labels) in self.scrape() if name == "faults_injected_total"]
        assert injected == [(("action", "error"), ("fault", "down"), ("stage", "pre_engine"))]

    def test_held_messages_are_a_gauge_per_fault(self):
        client, pump = connect_ws(self)
        ws_send(self, client, pump, {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD"})
        self.put_fault("slow", mode="delay", layer="ws", channel="TRADES", base_ms="10s")
        self.trade(3)
        pump_ws(self, pump)
        scraped = self.scrape()
        assert scraped["faults_held_messages", (("fault", "slow"),)] == 3.0
        assert (
            scraped["faults_injected_total", (("action", "delay"), ("fault", "slow"), ("stage", "ws"))] == 3.0
        )
        assert scraped["faults_connections", ()] == 1.0
        pump_ws(self, pump, 10)
        assert self.scrape()["faults_held_messages", (("fault", "slow"),)] == 0.0
        self.controller.halt()
        assert self.scrape()["faults_active", ()] == 0.0
