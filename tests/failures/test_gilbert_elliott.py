"""Gilbert-Elliott loss: a good and a bad state, so losses come in bursts at a known mean rate."""

import random
import statistics

import pytest

from exchangesim.failures.gilbert_elliott import gilbert_elliott

STEPS = 50_000


def losses(seed: int = 1, steps: int = STEPS, **rates) -> list[bool]:
    rates = {"enter_bad": 0.02, "leave_bad": 0.2, "loss_good": 0.0, "loss_bad": 1.0} | rates
    decide = gilbert_elliott(random.Random(seed), **rates)
    return [decide() for _ in range(steps)]


def runs(lost: list[bool]) -> list[int]:
    lengths, run = [], 0
    for loss in [*lost, False]:
        if loss:
            run += 1
        elif run:
            lengths.append(run)
            run = 0
    return lengths


def test_the_loss_rate_is_the_share_of_time_in_the_bad_state():
    lost = losses()
    assert sum(lost) / STEPS == pytest.approx(0.02 / (0.02 + 0.2), abs=0.01)


def test_losses_come_in_bursts_of_one_over_leave_bad():
    assert statistics.fmean(runs(losses())) == pytest.approx(1 / 0.2, rel=0.1)
    assert statistics.fmean(runs(losses(leave_bad=0.5))) == pytest.approx(2, rel=0.1)


def test_each_state_loses_at_its_own_rate():
    good_only = losses(enter_bad=0.0, loss_good=0.05)
    assert sum(good_only) / STEPS == pytest.approx(0.05, abs=0.005)
    half_in_bad = losses(enter_bad=0.02, leave_bad=0.2, loss_bad=0.5)
    assert sum(half_in_bad) / STEPS == pytest.approx(0.5 * 0.02 / 0.22, abs=0.008)


def test_a_link_that_never_turns_bad_loses_nothing():
    assert not any(losses(enter_bad=0.0))


def test_the_same_random_stream_loses_the_same_messages():
    assert losses(seed=3, steps=1000) == losses(seed=3, steps=1000)
    assert losses(seed=3, steps=1000) != losses(seed=4, steps=1000)
