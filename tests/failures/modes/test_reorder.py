"""``reorder``: a held message goes after ``gap`` later ones of its stream overtook it, or after
``hold_ms``; the ones overtaking it are not held themselves, so every hit is a visible reordering."""

import json

from .support import Harness, message

SEQS = range(1, 16)


def order(seed: int, **keys) -> list[int]:
    harness = Harness.with_fault("reorder", seed, layer="ws", **keys)
    link = harness.connect()
    link.send(*SEQS)
    harness.advance(2000)
    return link.seqs()


def test_the_defaults_reorder_every_stream_visibly_and_audit_each_reordering():
    harness = Harness.with_fault("reorder", layer="ws")  # probability 1, gap 2
    link = harness.connect()
    link.send(*range(1, 10))
    assert link.seqs() == [2, 3, 1, 5, 6, 4, 8, 9, 7]
    assert [(e["action"], e["seq"], e["gap"], e["overtaken_by"]) for e in harness.events()] == [
        ("reorder", 1, 2, 2),
        ("reorder", 4, 2, 2),
        ("reorder", 7, 2, 2),
    ]
    assert harness.controller.faults["f"].hits == 3


def test_a_fixed_seed_holds_exactly_these_messages_until_two_overtook_them():
    harness = Harness.with_fault("reorder", layer="ws", probability=0.25, gap=2, hold_ms=1000)
    link = harness.connect()
    link.send(*SEQS)
    assert link.seqs() == [2, 3, 1, 4, 5, 6, 8, 9, 7, 10, 11, 12, 13, 14, 15]
    assert [(e["action"], e["channel"], e["seq"], e["gap"]) for e in harness.events()] == [
        ("reorder", "TICKER", 1, 2),
        ("reorder", "TICKER", 7, 2),
    ]


def test_the_same_seed_reorders_the_same_way_and_another_seed_otherwise():
    keys = {"probability": 0.25, "gap": 2}
    assert order(1234, **keys) == order(1234, **keys)
    assert order(5, **keys) == [1, 2, 3, 5, 6, 4, 7, 8, 9, 10, 11, 13, 14, 12, 15]


def test_a_held_message_goes_right_after_gap_later_ones():
    harness = Harness.with_fault("reorder", layer="ws", first=1, gap=3)
    link = harness.connect()
    link.send(1, 2, 3)
    assert link.seqs() == [2, 3]
    link.send(4, 5)
    assert link.seqs() == [2, 3, 4, 1, 5]


def test_a_message_nothing_overtakes_goes_after_hold_ms_audited_as_held_not_reordered():
    harness = Harness.with_fault("reorder", layer="ws", first=1, gap=5, hold_ms="250ms")
    link = harness.connect()
    link.send(1)
    harness.advance(249.9)
    assert link.seqs() == []
    harness.advance(0.1)
    assert link.timeline() == [(250.0, 1)]
    link.send(2)
    harness.advance(1000)
    assert link.seqs() == [1, 2]  # released once, not again when more messages pass
    assert [(e["action"], e["seq"], e["held_ms"]) for e in harness.events()] == [("held", 1, 250.0)]


def test_fewer_than_gap_overtaking_before_hold_ms_is_still_a_reordering():
    harness = Harness.with_fault("reorder", layer="ws", first=1, gap=5, hold_ms="250ms")
    link = harness.connect()
    link.send(1, 2)
    harness.advance(250)
    assert link.timeline() == [(0.0, 2), (250.0, 1)]
    [event] = harness.events()
    assert (event["action"], event["seq"], event["overtaken_by"], event["held_ms"]) == (
        "reorder",
        1,
        1,
        250.0,
    )


def test_only_messages_of_its_own_stream_overtake_a_held_one():
    harness = Harness.with_fault("reorder", layer="ws", channel="TICKER", first=1, gap=2)
    link = harness.connect()
    link.send(message(1), message(1, "BOOK"), message(2, "BOOK"), message(2), message(3, "BOOK"), message(3))
    assert [(data["channel"], data["seq"]) for data in map(json.loads, link.data())] == [
        ("BOOK", 1),
        ("BOOK", 2),
        ("TICKER", 2),
        ("BOOK", 3),
        ("TICKER", 3),
        ("TICKER", 1),
    ]


def test_count_stops_the_fault_while_its_hit_is_still_held():
    harness = Harness.with_fault("reorder", layer="ws", count=1, gap=2)
    link = harness.connect()
    link.send(message(1), message(1, "BOOK"), message(2), message(3))
    assert [(data["channel"], data["seq"]) for data in map(json.loads, link.data())] == [
        ("BOOK", 1),  # TICKER 1, held, used the count up: BOOK 1 is not held
        ("TICKER", 2),
        ("TICKER", 3),
        ("TICKER", 1),
    ]
    assert [e["seq"] for e in harness.events()] == [1]


def test_removing_the_fault_releases_what_it_holds_in_order():
    harness = Harness.with_fault("reorder", layer="ws", channel="*", nth=2, gap=10, hold_ms=5000)
    link = harness.connect()
    link.send(message(1), message(2), message(1, "BOOK"), message(2, "BOOK"), message(3))
    assert link.seqs() == [1, 1, 3]
    harness.advance(100)
    harness.controller.remove("f")
    assert [(ms, data["channel"], data["seq"]) for ms, data in _timeline(link)][3:] == [
        (100.0, "TICKER", 2),
        (100.0, "BOOK", 2),
    ]
    harness.advance(10_000)
    assert len(link.seqs()) == 5


def _timeline(link):
    return [(round(ms, 3), json.loads(data)) for ms, data in link.delivered["out"]]
