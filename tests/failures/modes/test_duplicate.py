"""``duplicate``: which messages a seed repeats and how often, and REST requests executed twice."""

import json

from exchangesim.failures import Repeat

from .support import Harness, fetch, rest_call, result_of

SEQS = range(1, 13)


def delivered(seed: int, **keys) -> list[int]:
    harness = Harness.with_fault("duplicate", seed, layer="ws", **keys)
    link = harness.connect()
    link.send(*SEQS)
    return link.seqs()


def test_a_fixed_seed_repeats_exactly_these_messages_right_after_themselves():
    harness = Harness.with_fault("duplicate", layer="ws", probability=0.3, copies=2)
    link = harness.connect()
    link.send(*SEQS)
    assert link.seqs() == [1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 7, 8, 9, 10, 11, 12]
    assert link.data()[:3] == [link.data()[0]] * 3  # byte for byte the same message
    assert [(e["action"], e["channel"], e["seq"], e["copies"]) for e in harness.events()] == [
        ("duplicate", "TICKER", 1, 2),
        ("duplicate", "TICKER", 5, 2),
    ]


def test_the_same_seed_repeats_the_same_messages_and_another_seed_others():
    keys = {"probability": 0.3, "copies": 2}
    assert delivered(1234, **keys) == delivered(1234, **keys)
    assert delivered(8, **keys) == [1, 2, 3, 4, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 10, 10, 10, 11, 12]


def test_one_extra_copy_by_default_and_only_for_the_targeted_messages():
    harness = Harness.with_fault("duplicate", layer="ws", nth=3)
    link = harness.connect()
    link.send(*range(1, 8))
    assert link.seqs() == [1, 2, 3, 3, 4, 5, 6, 6, 7]
    assert [event["seq"] for event in harness.events()] == [3, 6]


def test_rest_verdict_executes_twice_answering_with_the_chosen_response():
    calls = [rest_call(), rest_call()]
    assert Harness.with_fault("duplicate", layer="rest").before(calls) == [Repeat("first")] * 2
    second = Harness.with_fault("duplicate", layer="rest", answer="second")
    assert second.before(calls) == [Repeat("second")] * 2


def test_a_rest_duplicate_reaches_the_engine_twice_and_the_audit_names_both_orders():
    harness = Harness.with_fault("duplicate", layer="rest", answer="second")
    http, orders = harness.http()
    response = fetch(http)
    http.flush()
    response = result_of(response)
    assert orders.executed == 2
    assert response.code == 201
    assert json.loads(result_of(response.content()))["order_id"] == "2"
    [event] = harness.events()
    assert (event["action"], event["order_id"], event["duplicate_order_id"]) == ("duplicate", "1", "2")
    assert event["engine_effect"] == "executed twice: order 1 NEW; then order 2 NEW"
