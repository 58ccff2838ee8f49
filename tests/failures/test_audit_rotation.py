"""The audit file: created readable by its owner only, and rotated to ``.1`` past ``audit_max_bytes``."""

import json
import os
import stat

from twisted.internet.task import Clock

from exchangesim.config import FailuresConfig
from exchangesim.failures.audit import AuditLog
from exchangesim.failures.controller import FaultController


def event(number):
    return {
        "ts": 1_700_000_000_000,
        "fault": "lag",
        "mode": "delay",
        "action": "delay",
        "layer": "ws",
        "n": number,
    }


def line_bytes(audit_seq, number):
    return len(json.dumps({**event(number), "audit_seq": audit_seq}, separators=(",", ":"))) + 1


def test_the_file_is_created_owner_only(tmp_path):
    path = tmp_path / "faults.jsonl"
    old_umask = os.umask(0o022)
    try:
        audit = AuditLog(str(path))
        audit.open()
    finally:
        os.umask(old_umask)
    audit.record(event(1))
    audit.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_past_max_bytes_the_file_is_rotated_keeping_one_old_file(tmp_path):
    path = tmp_path / "faults.jsonl"
    size = line_bytes(1, 1)
    audit = AuditLog(str(path), max_bytes=3 * size)
    audit.open()
    for number in range(1, 8):
        audit.record(event(number))
    audit.close()
    current = [json.loads(line)["n"] for line in path.read_text().splitlines()]
    rotated = [json.loads(line)["n"] for line in (tmp_path / "faults.jsonl.1").read_text().splitlines()]
    assert (rotated, current) == ([4, 5, 6], [7])  # 1..3 went with the first rotation
    assert sorted(p.name for p in tmp_path.iterdir()) == ["faults.jsonl", "faults.jsonl.1"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert all(os.path.getsize(p) <= 3 * size for p in tmp_path.iterdir())


def test_a_file_from_an_earlier_run_counts_toward_the_cap(tmp_path):
    path = tmp_path / "faults.jsonl"
    path.write_text("x" * 100 + "\n")
    audit = AuditLog(str(path), max_bytes=120)
    audit.open()
    audit.record(event(1))
    audit.close()
    assert (tmp_path / "faults.jsonl.1").read_text() == "x" * 100 + "\n"
    assert json.loads(path.read_text())["n"] == 1


def test_the_controller_passes_audit_max_bytes(tmp_path):
    settings = FailuresConfig(audit_file=str(tmp_path / "faults.jsonl"), audit_max_bytes=4096)
    controller = FaultController(settings, Clock(), 7)
    assert (controller.audit.path, controller.audit.max_bytes) == (settings.audit_file, 4096)
    assert FailuresConfig().audit_max_bytes == 64 << 20
