"""``drop``: which messages a seed loses, the loss rate and bursts, and the REST verdicts."""

import pytest

from exchangesim.failures import FaultSpecError, Lose, parse_fault
from exchangesim.failures.registry import mode_for

from .support import Harness, rest_call

SEQS = range(1, 21)


def dropped_by(seed: int, **keys) -> list[int]:
    harness = Harness.with_fault("drop", seed, layer="ws", **keys)
    link = harness.connect()
    link.send(*SEQS)
    return [seq for seq in SEQS if seq not in link.seqs()]


def loss_runs(lost: list[bool]) -> list[int]:
    """Lengths of the runs of consecutive losses."""
    runs, run = [], 0
    for loss in lost:
        if loss:
            run += 1
        elif run:
            runs.append(run)
            run = 0
    return [*runs, run] if run else runs


def losses(count: int, **keys) -> list[bool]:
    harness = Harness.with_fault("drop", layer="ws", **keys)
    link = harness.connect()
    link.send(*range(count))
    delivered = set(link.seqs())
    return [seq not in delivered for seq in range(count)]


def test_a_fixed_seed_drops_exactly_these_messages_and_the_audit_names_each():
    harness = Harness.with_fault("drop", layer="ws", probability=0.3)
    link = harness.connect()
    link.send(*SEQS)
    assert link.seqs() == [2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17, 18, 19]
    assert [(e["action"], e["channel"], e["symbol"], e["seq"]) for e in harness.events()] == [
        ("drop", "TICKER", "BTC/USD", seq) for seq in (1, 5, 15, 16, 20)
    ]
    event = harness.events()[0]
    assert (event["fault"], event["mode"], event["layer"]) == ("f", "drop", "ws")
    assert (event["connection"], event["direction"]) == ("ws-1", "out")


def test_the_same_seed_drops_the_same_messages_and_another_seed_others():
    assert dropped_by(1234, probability=0.3) == dropped_by(1234, probability=0.3) == [1, 5, 15, 16, 20]
    assert dropped_by(99, probability=0.3) == [1, 9, 15, 17]


def test_each_connection_draws_from_its_own_stream():
    harness = Harness.with_fault("drop", layer="ws", probability=0.3)
    first, second = harness.connect(), harness.connect()
    second.send(*range(100, 150))  # traffic elsewhere does not shift the first connection's draws
    first.send(*SEQS)
    assert [seq for seq in SEQS if seq not in first.seqs()] == [1, 5, 15, 16, 20]
    assert [seq for seq in SEQS if seq not in second.seqs()] != [1, 5, 15, 16, 20]


def test_only_the_targeted_channel_and_direction_lose_messages():
    harness = Harness.with_fault("drop", layer="ws", channel="BOOK", direction="out")
    link = harness.connect()
    link.send(b'{"type":"MARKET_DATA","channel":"BOOK","symbol":"BTC/USD","seq":1}', 2)
    link.send(b'{"type":"MARKET_DATA","channel":"BOOK","symbol":"BTC/USD","seq":3}', direction="in")
    assert link.seqs() == [2]
    assert link.seqs("in") == [3]
    assert [(e["channel"], e["seq"], e["direction"]) for e in harness.events()] == [("BOOK", 1, "out")]


def test_bernoulli_loss_rate_matches_the_probability():
    lost = losses(20_000, probability=0.2)
    assert 0.19 <= sum(lost) / len(lost) <= 0.21


def test_gilbert_elliott_loses_in_bursts_longer_than_bernoulli_at_the_same_rate():
    # Stationary bad share 0.05 / (0.05 + 0.25) = 1/6, mean burst 1 / 0.25 = 4 messages.
    bursty = losses(20_000, model="gilbert_elliott", enter_bad=0.05, leave_bad=0.25)
    rate = sum(bursty) / len(bursty)
    assert 0.15 <= rate <= 0.185
    independent = losses(20_000, probability=rate)
    assert abs(sum(independent) / len(independent) - rate) < 0.01
    bursty_runs, independent_runs = loss_runs(bursty), loss_runs(independent)
    mean_bursty = sum(bursty_runs) / len(bursty_runs)
    mean_independent = sum(independent_runs) / len(independent_runs)
    assert 3.5 <= mean_bursty <= 4.5
    assert mean_independent < 1.3
    assert max(bursty_runs) > 2 * max(independent_runs)


def test_gilbert_elliott_is_deterministic_for_a_seed():
    keys = {"model": "gilbert_elliott", "enter_bad": 0.1, "leave_bad": 0.3}
    assert dropped_by(1234, **keys) == dropped_by(1234, **keys)
    assert dropped_by(1234, **keys) != dropped_by(7, **keys)


def test_rest_drop_holds_then_closes_or_hangs():
    calls = [rest_call(), rest_call()]
    held = Harness.with_fault("drop", layer="rest", stage="pre_engine", hold_ms="250ms")
    assert held.before(calls) == [Lose(0.25), Lose(0.25)]
    hanging = Harness.with_fault("drop", layer="rest", stage="pre_engine", hold_ms=250, hang="true")
    assert hanging.before(calls) == [Lose(None), Lose(None)]


def test_rest_post_engine_drop_loses_the_response():
    harness = Harness.with_fault("drop", layer="rest", stage="post_engine", hang=True)
    assert harness.after([(rest_call(), object())]) == [Lose(None)]


def test_rest_drop_with_a_seed_loses_the_same_requests():
    def lost(seed):
        harness = Harness.with_fault("drop", seed, layer="rest", probability=0.5)
        return [verdict is not None for verdict in harness.before([rest_call() for _ in range(16)])]

    assert lost(1234) == lost(1234)
    assert lost(1234) != lost(5)
    assert 3 <= sum(lost(1234)) <= 13


def test_a_bad_state_that_is_never_left_is_refused():
    with pytest.raises(FaultSpecError, match="leave_bad"):
        parse_fault("f", {"mode": "drop", "model": "gilbert_elliott", "leave_bad": "0"}, mode_for)
