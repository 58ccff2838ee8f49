"""``reorder``: a held message goes after ``gap`` later ones overtook it, or after ``hold_ms``."""

from .support import Harness

SEQS = range(1, 16)


def order(seed: int, **keys) -> list[int]:
    harness = Harness.with_fault("reorder", seed, layer="ws", **keys)
    link = harness.connect()
    link.send(*SEQS)
    harness.advance(2000)
    return link.seqs()


def test_a_fixed_seed_holds_exactly_these_messages_until_two_overtook_them():
    harness = Harness.with_fault("reorder", layer="ws", probability=0.25, gap=2, hold_ms=1000)
    link = harness.connect()
    link.send(*SEQS)
    assert link.seqs() == [2, 3, 1, 4, 6, 7, 5, 8, 9, 10, 11, 12, 13, 14]
    harness.advance(1000)  # nothing overtakes 15: it goes when hold_ms is over
    assert link.timeline()[-1] == (1000.0, 15)
    assert [(e["action"], e["channel"], e["seq"], e["gap"]) for e in harness.events()] == [
        ("reorder", "TICKER", 1, 2),
        ("reorder", "TICKER", 5, 2),
        ("reorder", "TICKER", 15, 2),
    ]


def test_the_same_seed_reorders_the_same_way_and_another_seed_otherwise():
    keys = {"probability": 0.25, "gap": 2}
    assert order(1234, **keys) == order(1234, **keys)
    # 10, 11 and 12 are held together and released together, in their order, once 13 and 14 passed.
    assert order(5, **keys) == [1, 2, 3, 5, 6, 4, 7, 8, 9, 13, 14, 10, 11, 12, 15]


def test_a_held_message_goes_right_after_gap_later_ones():
    harness = Harness.with_fault("reorder", layer="ws", first=1, gap=3)
    link = harness.connect()
    link.send(1, 2, 3)
    assert link.seqs() == [2, 3]
    link.send(4, 5)
    assert link.seqs() == [2, 3, 4, 1, 5]


def test_a_held_message_goes_after_hold_ms_when_too_few_follow():
    harness = Harness.with_fault("reorder", layer="ws", first=1, gap=5, hold_ms="250ms")
    link = harness.connect()
    link.send(1, 2)
    harness.advance(249.9)
    assert link.seqs() == [2]
    harness.advance(0.1)
    assert link.timeline() == [(0.0, 2), (250.0, 1)]
    link.send(3)
    harness.advance(1000)
    assert link.seqs() == [2, 1, 3]  # released once, not again when more messages pass


def test_removing_the_fault_releases_what_it_holds_in_order():
    harness = Harness.with_fault("reorder", layer="ws", nth=2, gap=10, hold_ms=5000)
    link = harness.connect()
    link.send(1, 2, 3, 4, 5)
    assert link.seqs() == [1, 3, 5]
    harness.advance(100)
    harness.controller.remove("f")
    assert link.timeline() == [(0.0, 1), (0.0, 3), (0.0, 5), (100.0, 2), (100.0, 4)]
    harness.advance(10_000)
    assert link.seqs() == [1, 3, 5, 2, 4]
