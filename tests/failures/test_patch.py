"""A PATCH that does not change what a fault is (its probability, triggers, the mode's values) keeps it
going: hits, the ``count`` budget, trigger counts, random streams, schedule and what it holds. A PATCH
of a key that says what it is (mode, layer, stage, direction, targeting, schedule) starts it over."""

from exchangesim.failures import parse_fault
from exchangesim.failures.registry import mode_for
from exchangesim.failures.spec import restarted_by

from .modes.support import Harness
from .wiring import FaultCase, connect_ws, pump_ws, ws_send


def patch(harness, name="f", **changes):
    """What the admin PATCH does: the keys as given, changed, parsed, then ``update``."""
    given = {**harness.controller.faults[name].spec.given, **changes}
    return harness.controller.update(parse_fault(name, given, mode_for))


def test_hits_and_the_count_budget_go_on_across_a_patch():
    harness = Harness.with_fault("drop", layer="ws", count=3)
    link = harness.connect()
    link.send(1, 2)
    fault = harness.controller.faults["f"]
    assert patch(harness, probability="1.0", hold_ms="5") == []
    assert harness.controller.faults["f"] is fault and fault.hits == 2
    link.send(3, 4, 5)
    assert link.seqs() == [4, 5]  # one hit left of three


def test_trigger_counts_go_on():
    harness = Harness.with_fault("drop", layer="ws", nth=3)
    link = harness.connect()
    link.send(1, 2)
    patch(harness, hold_ms="1s")
    link.send(3, 4, 5, 6)
    assert link.seqs() == [1, 2, 4, 5]


def test_random_draws_go_on_as_if_there_had_been_no_patch():
    def survivors(patched):
        harness = Harness.with_fault("drop", layer="ws", probability=0.5)
        link = harness.connect()
        link.send(*range(1, 11))
        if patched:
            patch(harness, hold_ms="250ms")  # a rest value: the ws decisions must not change
        link.send(*range(11, 31))
        return link.seqs()

    assert survivors(True) == survivors(False)


def test_a_new_probability_acts_from_the_next_message():
    harness = Harness.with_fault("drop", layer="ws")
    link = harness.connect()
    link.send(1)
    patch(harness, probability="0")
    link.send(2, 3)
    assert link.seqs() == [2, 3]
    assert harness.controller.faults["f"].hits == 1


def test_the_schedule_keeps_counting_from_the_install():
    harness = Harness.with_fault("drop", layer="ws", start="1s", duration="1s")
    link = harness.connect()
    harness.advance(900)
    patch(harness, probability="1")
    link.send(1)
    harness.advance(100)
    link.send(2)
    harness.advance(1000)
    link.send(3)
    assert link.seqs() == [1, 3]


def test_what_a_delay_holds_stays_held_and_new_values_apply_to_later_messages():
    harness = Harness.with_fault("delay", layer="ws", base_ms=500)
    link = harness.connect()
    link.send(1)
    patch(harness, base_ms="100")
    assert harness.controller.held_by(harness.controller.faults["f"]) == 1
    link.send(2)
    harness.advance(500)
    assert link.timeline() == [(500.0, 1), (500.0, 2)]  # 2 is due at 100 but keeps its place
    assert [event["delay_ms"] for event in harness.events("delay")] == [500.0, 100.0]


def test_a_throttle_keeps_its_bucket_and_takes_the_new_rate():
    harness = Harness.with_fault("throttle", layer="ws", rate=1, burst=1)
    link = harness.connect()
    link.send(1, 2)  # 1 takes the only token, 2 queues for a second
    patch(harness, rate="10")
    link.send(3)
    harness.advance(1000)
    assert link.timeline() == [(0.0, 1), (1000.0, 2), (1000.0, 3)]


def test_a_new_after_ms_still_counts_from_when_the_connection_opened():
    harness = Harness.with_fault("disconnect", layer="ws", how="close", after_ms="10s")
    link = harness.connect()
    harness.advance(3000)
    patch(harness, after_ms="5s")
    harness.advance(1999)
    assert link.closes == []
    harness.advance(1)
    assert len(link.closes) == 1


def test_changing_what_the_fault_targets_starts_it_over():
    harness = Harness.with_fault("drop", layer="ws", count=1)
    link = harness.connect()
    link.send(1)
    fault = harness.controller.faults["f"]
    assert patch(harness, channel="TICKER") == ["channel"]
    assert harness.controller.faults["f"] is not fault and fault.retired
    link.send(2)
    assert link.seqs() == []  # a new budget of one


def test_schedule_and_mode_structure_keys_start_it_over():
    harness = Harness.with_fault("throttle", layer="ws", duration="10s")
    assert patch(harness, duration="20s", unit="byte", rate="5") == ["duration", "unit"]


class AdminPatchTests(FaultCase):
    def test_the_admin_patch_keeps_the_fault_and_the_audit_says_so(self):
        client, pump = connect_ws(self)
        ws_send(self, client, pump, {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD"})
        self.admin("PUT", "/gaps", {"mode": "drop", "layer": "ws", "channel": "TRADES", "count": 3})
        self.trade(2)
        pump_ws(self, pump)
        code, body = self.admin("PATCH", "/gaps", {"probability": 0.5, "count": 4})
        assert (code, body["hits"], body["given"]["count"]) == (200, 2, "4")
        [changed] = [e for e in self.controller.audit.recent if e["action"] == "fault_changed"]
        assert (changed["changes"], changed["restarted"]) == (["count", "probability"], [])
        code, body = self.admin("PATCH", "/gaps", {"channel": "TICKER"})
        assert (code, body["hits"]) == (200, 0)
        changed = [e for e in self.controller.audit.recent if e["action"] == "fault_changed"][-1]
        assert changed["restarted"] == ["channel"]


def test_a_mode_that_does_not_name_its_restarting_keys_is_started_over_by_any_change():
    def spec(**keys):
        return parse_fault("f", {"mode": "delay", "layer": "ws", **keys}, mode_for)

    plugin = object()  # a mode from before restarted_by: its effects may read their keys once
    assert restarted_by(spec(), spec(base_ms="5"), plugin) == ["base_ms"]
    assert restarted_by(spec(), spec(probability="0.5"), plugin) == ["probability"]
    assert restarted_by(spec(base_ms="5"), spec(base_ms="5ms"), plugin) == []
    assert restarted_by(spec(), spec(base_ms="5", probability="0.5"), mode_for("delay")) == []
