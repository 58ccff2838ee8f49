"""Market conditions, scheduled like faults: a storm, a dry spell, a wide spread, a halt, a crash, a trend.

A condition (``[condition:NAME]`` or the admin API) has a ``kind``, an optional ``symbol`` (empty: every
symbol), a ``factor`` and the faults' schedule keys ``start``, ``duration`` and ``period``, all in market
time from the market's start (from its creation, for one added at run time). It starts and ends at
events of the market's own schedule, so it happens at the same ticks in every run of a seed, and each
start and end is an audit event (``condition_started``, ``condition_ended``) on the FAULTS channel and
in the audit file.

| kind | factor | while it lasts |
|---|---|---|
| volatility | multiplies the model's volatility | the fair price moves faster (or slower) |
| liquidity | multiplies the agents' order sizes | the book is deeper (or thinner) |
| spread | multiplies how far the maker quotes from the fair price | the spread is wider |
| halt | (none) | the symbol does not trade: new orders and amends are refused, cancels go through |
| crash | the fraction the fair price moves (-0.1: 10% down), over ``duration`` | nothing is restored after |
| trend | the model's drift, per year | the fair price drifts |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..config._kinds import DURATION, REAL, TEXT

if TYPE_CHECKING:
    from .schedule import MarketSchedule
    from .service import MovingMarket

__all__ = ["KINDS", "ConditionError", "ConditionSpec", "MarketConditions", "parse_condition"]

KINDS = ("volatility", "liquidity", "spread", "halt", "crash", "trend")
_KEYS = ("kind", "symbol", "factor", "start", "duration", "period")
_FACTOR_BOUNDS = {
    "volatility": (0.0, 100.0),
    "liquidity": (0.001, 1000.0),
    "spread": (1.0, 1000.0),
    "crash": (-0.99, 100.0),
    "trend": (-100.0, 100.0),
}
MAX_SPAN_MS = 30 * 86_400_000  # start, duration and period: a month of market time at most


class ConditionError(ValueError):
    """A condition that cannot be used; ``problems`` holds (key, reason) pairs, every one found."""

    def __init__(self, name: str, problems: list[tuple[str, str]]) -> None:
        super().__init__(f"condition {name!r}: " + "; ".join(f"{key}: {reason}" for key, reason in problems))
        self.problems = problems


@attrs.frozen
class ConditionSpec:
    """One condition, checked: times in milliseconds of market time."""

    name: str
    kind: str
    symbol: str | None
    factor: float | None
    start_ms: int
    duration_ms: int | None
    period_ms: int | None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "symbol": self.symbol,
            "factor": None if self.factor is None else repr(self.factor),
            "start_ms": self.start_ms,
            "duration_ms": self.duration_ms,
            "period_ms": self.period_ms,
        }


def parse_condition(name: str, raw: Mapping[str, Any], symbols: Iterable[str]) -> ConditionSpec:
    """A condition from its keys (INI text or JSON values), or ``ConditionError`` naming every bad key."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for key in raw:
        if key not in _KEYS:
            problems.append((key, f"unknown key; a condition takes {', '.join(_KEYS)}"))
    kinds = {
        "kind": TEXT,
        "symbol": TEXT,
        "factor": REAL,
        "start": DURATION,
        "duration": DURATION,
        "period": DURATION,
    }
    for key, kind in kinds.items():
        value = raw.get(key)
        if value is None or value == "":
            values[key] = None
            continue
        try:
            values[key] = kind.convert(value)
        except ValueError as error:
            problems.append((key, str(error)))
            values[key] = None
    condition_kind = values["kind"]
    if condition_kind not in KINDS:
        problems.append(("kind", f"required, one of {', '.join(KINDS)}"))
    elif condition_kind == "halt":
        if values["factor"] is not None:
            problems.append(("factor", "a halt takes no factor"))
    elif values["factor"] is None and "factor" not in {key for key, _ in problems}:
        problems.append(("factor", f"required for kind {condition_kind}"))
    elif values["factor"] is not None:
        low, high = _FACTOR_BOUNDS[condition_kind]
        if not low <= values["factor"] <= high:
            problems.append(("factor", f"must be between {low} and {high} for kind {condition_kind}"))
    symbol = values["symbol"]
    listed = list(symbols)
    if symbol is not None and symbol not in listed:
        problems.append(("symbol", f"not a traded symbol; traded: {', '.join(listed)}"))
    for key in ("start", "duration", "period"):
        if values[key] is not None and values[key] > MAX_SPAN_MS:
            problems.append((key, f"at most {MAX_SPAN_MS // 86_400_000} days"))
    if values["period"] is not None:
        if values["duration"] is None:
            problems.append(("period", "a repeating condition needs a duration"))
        elif values["period"] <= values["duration"]:
            problems.append(("period", "must be longer than duration"))
    if problems:
        raise ConditionError(name, problems)
    return ConditionSpec(
        name,
        condition_kind,
        symbol,
        values["factor"],
        round(values["start"] or 0),
        None if values["duration"] is None else round(values["duration"]),
        None if values["period"] is None else round(values["period"]),
    )


@attrs.define(eq=False)
class _Active:
    """A condition under way: how to undo it on each market it touched."""

    undo: list[Callable[[], object]] = attrs.Factory(list)


class MarketConditions:
    """The conditions of one venue, run on the market's schedule."""

    def __init__(
        self,
        markets: Mapping[str, MovingMarket],
        schedule: MarketSchedule,
        audit: Callable[..., object],
    ) -> None:
        self._markets = markets
        self._schedule = schedule
        self._audit = audit  # audit(ts, action, **detail)
        self.specs: dict[str, ConditionSpec] = {}
        self.active: dict[str, _Active] = {}
        self._timers: dict[str, list[Any]] = {}

    def add(self, spec: ConditionSpec, origin_ms: int) -> None:
        """Schedule ``spec`` from market time ``origin_ms`` (its ``start`` counts from there)."""
        if spec.name in self.specs:
            raise ValueError(f"a condition named {spec.name!r} exists")
        self.specs[spec.name] = spec
        first = origin_ms + spec.start_ms
        period = spec.period_ms
        timers = [self._schedule.once(first, lambda ts: self._start(spec, ts), period_ms=period)]
        if spec.duration_ms is not None and spec.kind != "crash":
            end = first + spec.duration_ms
            timers.append(self._schedule.once(end, lambda ts: self._end(spec, ts), period_ms=period))
        self._timers[spec.name] = timers

    def remove(self, name: str, ts: int) -> None:
        """End a condition now (undoing what it does) and forget it."""
        spec = self.specs.pop(name)
        for timer in self._timers.pop(name):
            self._schedule.pause(timer)
        if name in self.active:
            self._end(spec, ts)

    def describe(self) -> list[dict[str, Any]]:
        return [{**spec.describe(), "active": name in self.active} for name, spec in self.specs.items()]

    def _targets(self, spec: ConditionSpec) -> list[MovingMarket]:
        if spec.symbol is None:
            return list(self._markets.values())
        market = self._markets.get(spec.symbol)
        return [] if market is None else [market]

    def _start(self, spec: ConditionSpec, ts: int) -> None:
        if spec.name in self.active:
            return
        active = self.active[spec.name] = _Active()
        for market in self._targets(spec):
            active.undo.append(market.condition(spec.kind, spec.factor, spec.duration_ms or 0, ts))
        self._audit(ts, "condition_started", **self._detail(spec))
        if spec.kind == "crash":  # a move, not a state: it ends as it starts
            self.active.pop(spec.name)

    def _end(self, spec: ConditionSpec, ts: int) -> None:
        active = self.active.pop(spec.name, None)
        if active is None:
            return
        for undo in active.undo:
            undo()
        self._audit(ts, "condition_ended", **self._detail(spec))

    @staticmethod
    def _detail(spec: ConditionSpec) -> dict[str, Any]:
        return {"condition": spec.name, "kind": spec.kind, "symbol": spec.symbol, "factor": spec.factor}
