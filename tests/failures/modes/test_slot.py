"""``slot``: hit messages wait for the next slot boundary and leave together, at most ``per_slot``."""

from .support import Harness, at


def timeline(seed: int) -> list[tuple[float, int]]:
    harness = Harness.with_fault("slot", seed, layer="ws", slot_ms=100, probability=0.3)
    link = harness.connect()
    for seq in range(1, 11):
        link.send(seq)
        harness.advance(25)
    harness.advance(1000)
    return link.timeline()


def send_at(harness: Harness, times_and_seqs):
    link = harness.connect()
    for ms, seq in times_and_seqs:
        harness.advance_to(ms)
        link.send(seq)
    harness.advance(1000)
    return link


def test_messages_leave_together_at_the_next_boundary_and_the_audit_says_when():
    harness = Harness.with_fault("slot", layer="ws", slot_ms=100)
    link = send_at(harness, [(10, 1), (50, 2), (99, 3), (130, 4), (250, 5)])
    assert link.timeline() == [(100.0, 1), (100.0, 2), (100.0, 3), (200.0, 4), (300.0, 5)]
    assert [(e["action"], e["channel"], e["seq"], e["release_in_ms"]) for e in harness.events()] == [
        ("slot", "TICKER", 1, 90.0),
        ("slot", "TICKER", 2, 50.0),
        ("slot", "TICKER", 3, 1.0),
        ("slot", "TICKER", 4, 70.0),
        ("slot", "TICKER", 5, 50.0),
    ]


def test_nothing_leaves_between_boundaries():
    harness = Harness.with_fault("slot", layer="ws", slot_ms=100)
    link = harness.connect()
    harness.advance(10)
    link.send(1, 2)
    harness.advance(89.9)
    assert link.seqs() == []
    harness.advance(0.1)
    assert link.timeline() == [(100.0, 1), (100.0, 2)]


def test_a_message_on_a_boundary_always_waits_a_whole_slot():
    harness = Harness.with_fault("slot", layer="ws", slot_ms=100)
    link = send_at(harness, [(ms, ms) for ms in (0, 100, 200, 300, 400, 500, 600, 700)])
    assert link.timeline() == [(ms + 100.0, ms) for ms in (0, 100, 200, 300, 400, 500, 600, 700)]


def test_per_slot_caps_each_release_and_the_rest_wait_for_later_slots():
    harness = Harness.with_fault("slot", layer="ws", slot_ms=100, per_slot=2)
    link = send_at(harness, [(10, 1), (10, 2), (10, 3), (10, 4), (10, 5), (120, 6), (120, 7)])
    assert link.timeline() == [
        (100.0, 1),
        (100.0, 2),
        (200.0, 3),
        (200.0, 4),
        (300.0, 5),
        (300.0, 6),
        (400.0, 7),
    ]
    assert [e["release_in_ms"] for e in harness.events()] == [90.0, 90.0, 190.0, 190.0, 290.0, 180.0, 280.0]


def test_the_same_seed_slots_the_same_messages_and_another_seed_others():
    assert timeline(1234) == timeline(1234)
    # Messages the fault does not hit wait behind held ones, so order is kept.
    assert timeline(1234) == [*at(100, 1, 2, 3, 4), *at(200, 5, 6, 7, 8, 9), *at(225, 10)]
    assert timeline(6) == [*at(0, 1), *at(100, 2, 3, 4), *at(200, 5, 6, 7, 8), *at(300, 9, 10)]


def test_tcp_chunks_are_released_in_slots_too():
    harness = Harness.with_fault("slot", layer="tcp", slot_ms="50ms")
    link = harness.connect("tcp")
    harness.advance(20)
    link.send(b"abc", b"def")
    harness.advance(100)
    assert [(round(ms, 3), data) for ms, data in link.delivered["out"]] == [(50.0, b"abc"), (50.0, b"def")]
