"""The audit: numbered events to a JSONL file, listeners and counters, and the recent events."""

import json
from decimal import Decimal

from exchangesim.failures.audit import AuditLog


def event(fault="ack-loss", action="drop", layer="rest", stage="post_engine", **fields):
    return {
        "ts": 1_700_000_000_000,
        "fault": fault,
        "mode": "drop",
        "action": action,
        "layer": layer,
        "stage": stage,
        **fields,
    }


def test_events_are_numbered_in_order():
    audit = AuditLog()
    first, second = event(), event()
    audit.record(first)
    audit.record(second)
    assert (first["audit_seq"], second["audit_seq"]) == (1, 2)
    assert audit.sequence == 2
    assert list(audit.recent) == [first, second]


def test_an_opened_log_appends_one_json_line_per_event(tmp_path):
    path = tmp_path / "faults.jsonl"
    path.write_text('{"audit_seq": 0}\n', encoding="utf-8")  # an earlier run's event is kept
    audit = AuditLog(str(path))
    audit.open()
    audit.record(event(order_id="42", client_order_id="c-1"))
    audit.record(event(fault="lag", action="delay", layer="ws", stage=None, seq=7, delay_ms=12.5))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    written = [json.loads(line) for line in lines[1:]]
    assert written[0] == {**event(order_id="42", client_order_id="c-1"), "audit_seq": 1}
    assert (written[1]["fault"], written[1]["seq"], written[1]["delay_ms"], written[1]["audit_seq"]) == (
        "lag",
        7,
        12.5,
        2,
    )
    audit.close()
    audit.record(event())  # closed: counted and kept, not written
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3
    assert audit.sequence == 3


def test_a_value_json_cannot_hold_is_written_as_text(tmp_path):
    audit = AuditLog(str(tmp_path / "faults.jsonl"))
    audit.open()
    audit.record(event(price=Decimal("50000.10")))
    audit.close()
    assert json.loads((tmp_path / "faults.jsonl").read_text())["price"] == "50000.10"


def test_a_log_without_a_file_writes_nothing(tmp_path):
    audit = AuditLog()
    audit.open()
    audit.record(event())
    audit.close()
    assert list(tmp_path.iterdir()) == []
    assert audit.sequence == 1


def test_counts_are_keyed_by_fault_action_and_stage_or_else_layer():
    audit = AuditLog()
    audit.record(event())
    audit.record(event())
    audit.record(event(action="delay", stage="pre_engine"))
    audit.record(event(fault="lag", action="delay", layer="ws", stage=None))
    audit.record(event(fault="lag", action="delay", layer="tcp", stage=None))
    assert audit.counts == {
        ("ack-loss", "drop", "post_engine"): 2,
        ("ack-loss", "delay", "pre_engine"): 1,
        ("lag", "delay", "ws"): 1,
        ("lag", "delay", "tcp"): 1,
    }


def test_every_listener_is_told_of_every_event_once_numbered():
    audit = AuditLog()
    heard, also = [], []
    audit.listeners += [heard.append, also.append]
    audit.record(event())
    assert heard == also == [{**event(), "audit_seq": 1}]


def test_since_gives_the_events_after_a_number_oldest_first_up_to_a_limit():
    audit = AuditLog()
    for index in range(10):
        audit.record(event(seq=index))
    assert [e["audit_seq"] for e in audit.since(0, 3)] == [1, 2, 3]
    assert [e["audit_seq"] for e in audit.since(7, 100)] == [8, 9, 10]
    assert audit.since(10, 100) == []
    assert audit.since(0, 0) == []


def test_only_the_most_recent_events_are_kept_in_memory(monkeypatch):
    from exchangesim.failures import audit as module

    monkeypatch.setattr(module, "RECENT_EVENTS", 3)
    audit = AuditLog()
    for index in range(5):
        audit.record(event(seq=index))
    assert [e["audit_seq"] for e in audit.since(0, 100)] == [3, 4, 5]
    assert audit.counts[("ack-loss", "drop", "post_engine")] == 5


def test_control_records_an_operators_action_in_the_same_trail():
    audit = AuditLog()
    heard = []
    audit.listeners.append(heard.append)
    audit.record(event())
    audit.control(1_700_000_000_500, "fault_added", name="lag", by="admin-api")
    [control] = audit.since(1, 10)
    assert control == {
        "ts": 1_700_000_000_500,
        "fault": "admin",
        "mode": "control",
        "action": "fault_added",
        "layer": "admin",
        "name": "lag",
        "by": "admin-api",
        "audit_seq": 2,
    }
    assert heard[-1] is control
    assert audit.counts[("admin", "fault_added", "admin")] == 1
