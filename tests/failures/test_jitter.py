"""The delay mode's jitter: base + a uniform, normal or pareto draw, pulled to the last by correlation."""

import random
import statistics

import pytest

from exchangesim.failures.modes.delay import Jitter

DRAWS = 20_000


def delays(count: int = DRAWS, seed: int = 1, **params) -> list[float]:
    params = {"base_ms": 100.0, "jitter_ms": 50.0, "distribution": "uniform", "correlation": 0.0} | params
    jitter = Jitter({"pareto_alpha": 2.5} | params, random.Random(seed))
    return [jitter.next_ms() for _ in range(count)]


def lag_one_correlation(values: list[float]) -> float:
    return statistics.correlation(values[:-1], values[1:])


def test_uniform_draws_lie_between_base_and_base_plus_jitter_with_the_middle_as_mean():
    drawn = delays()
    assert 100 <= min(drawn) < 100.1
    assert 149.9 < max(drawn) <= 150
    assert statistics.fmean(drawn) == pytest.approx(125, abs=0.5)


def test_normal_draws_centre_on_base_with_jitter_as_standard_deviation():
    drawn = delays(base_ms=1000.0, distribution="normal")
    assert statistics.fmean(drawn) == pytest.approx(1000, abs=1.5)
    assert statistics.stdev(drawn) == pytest.approx(50, rel=0.03)


def test_normal_draws_never_give_a_negative_delay():
    drawn = delays(base_ms=0.0, distribution="normal")
    assert min(drawn) == 0.0
    assert 0.47 < drawn.count(0.0) / len(drawn) < 0.53


def test_pareto_draws_start_at_base_with_the_expected_median_and_a_heavy_tail():
    drawn = delays(distribution="pareto", pareto_alpha=2.5)
    assert min(drawn) >= 100
    assert statistics.median(drawn) == pytest.approx(100 + 50 * (2 ** (1 / 2.5) - 1), rel=0.02)
    heavy = delays(distribution="pareto", pareto_alpha=1.5)
    light = delays(distribution="pareto", pareto_alpha=4.0)
    assert statistics.quantiles(heavy, n=100)[98] > 2 * statistics.quantiles(light, n=100)[98]


def test_no_jitter_gives_the_base_every_time():
    assert set(delays(100, jitter_ms=0.0, distribution="normal")) == {100.0}


def test_correlation_one_keeps_the_first_draw_for_ever():
    drawn = delays(50, correlation=1.0)
    assert 100 < drawn[0] < 150
    assert set(drawn) == {drawn[0]}


def test_correlation_makes_neighbours_alike_without_moving_the_mean():
    independent = delays(correlation=0.0)
    correlated = delays(correlation=0.9)
    assert abs(lag_one_correlation(independent)) < 0.03
    assert lag_one_correlation(correlated) > 0.85
    assert statistics.fmean(correlated) == pytest.approx(125, abs=0.5)
    first_draws = [delays(1, seed=seed, correlation=0.9)[0] for seed in range(500)]
    assert statistics.fmean(first_draws) == pytest.approx(125, abs=2)  # no ramp up from 0


def test_the_same_seed_draws_the_same_delays():
    assert delays(100, seed=3) == delays(100, seed=3)
    assert delays(100, seed=3) != delays(100, seed=4)
