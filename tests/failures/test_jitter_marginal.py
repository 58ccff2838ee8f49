"""``correlation`` makes successive jitter draws alike without changing the distribution of one draw:
mean, spread and quantiles with correlation 0.9 are those with correlation 0."""

import functools
import random
import statistics

import pytest

from exchangesim.failures.modes.delay import Jitter

BASE = 1000.0
CHAINS, LENGTH = 100, 1000  # many independent series: a correlated one wanders slowly


def jitter(correlation: float, distribution: str, jitter_ms: float, seed: int) -> Jitter:
    params = {"base_ms": BASE, "jitter_ms": jitter_ms, "distribution": distribution, "pareto_alpha": 2.5}
    return Jitter({**params, "correlation": correlation}, random.Random(seed))


@functools.cache
def draws(correlation: float, distribution: str = "uniform", jitter_ms: float = 200.0) -> tuple[float, ...]:
    drawn: list[float] = []
    for seed in range(CHAINS):
        series = jitter(correlation, distribution, jitter_ms, seed)
        drawn += [series.next_ms() for _ in range(LENGTH)]
    return tuple(drawn)


def lag_one(correlation: float) -> float:
    series = jitter(correlation, "uniform", 200.0, 1)
    values = [series.next_ms() for _ in range(5000)]
    return statistics.correlation(values[:-1], values[1:])


@pytest.mark.parametrize(
    ("distribution", "sd"),
    [("uniform", 200 / 12**0.5), ("normal", 200.0)],  # uniform 0..200 ms: the sd of 57.7 ms
)
def test_the_mean_and_spread_are_those_of_the_distribution_whatever_the_correlation(distribution, sd):
    mean = BASE + (100.0 if distribution == "uniform" else 0.0)
    for correlation in (0.0, 0.9):
        drawn = draws(correlation, distribution)
        assert statistics.fmean(drawn) == pytest.approx(mean, abs=0.03 * sd)
        assert statistics.stdev(drawn) == pytest.approx(sd, rel=0.03)


@pytest.mark.parametrize("distribution", ["uniform", "normal", "pareto"])
def test_quantiles_with_correlation_match_those_without(distribution):
    independent = statistics.quantiles(draws(0.0, distribution), n=20)
    correlated = statistics.quantiles(draws(0.9, distribution), n=20)
    scale = independent[-1] - independent[0]
    for plain, tied in zip(independent, correlated, strict=True):
        assert tied == pytest.approx(plain, abs=0.04 * scale)


def test_the_pareto_median_is_where_the_distribution_puts_it():
    drawn = draws(0.9, "pareto", 50.0)
    assert min(drawn) >= BASE
    assert statistics.median(drawn) - BASE == pytest.approx(50 * (2 ** (1 / 2.5) - 1), rel=0.05)


def test_successive_draws_follow_each_other():
    assert abs(lag_one(0.0)) < 0.05
    assert lag_one(0.9) > 0.85
    assert lag_one(0.5) == pytest.approx(0.48, abs=0.05)  # 6/pi asin(c/2) for a uniform
