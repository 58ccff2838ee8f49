"""[liquidity]: the agents that make the market, by preset, each key overridable.

A preset names a whole market: ``liquid`` (the default) a busy venue with a one- or two-tick spread,
depth that grows away from the touch and clustered, heavy-tailed order flow; ``thin`` a quiet one with
a wide spread and little depth; ``toy`` the simple ladder of the first releases (ten equal levels
around the fair price, Poisson takers). A key left empty takes the preset's value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from ._kinds import BOOLEAN, DECIMAL, INTEGER, REAL, TEXT, at_least, between, one_of, setting
from ._section import section

__all__ = ("PRESETS", "AgentSettings", "LiquidityConfig")


@attrs.frozen
class AgentSettings:
    """Every agent setting of one market, resolved from a preset and the keys that override it."""

    levels: int
    spread_bps: Decimal
    spacing_bps: Decimal
    level_notional: Decimal
    size_dispersion: float
    refresh_ms: int
    skew_bps: Decimal
    volatility_widening: float
    taker_rate: float
    taker_notional: Decimal
    taker_size_sigma: float
    taker_clustering: float
    taker_memory_ms: int
    informed_share: float
    limit_rate: float
    limit_lifetime_s: float
    limit_depth_bps: Decimal
    limit_notional: Decimal


PRESETS: dict[str, AgentSettings] = {
    "liquid": AgentSettings(
        levels=3,
        spread_bps=Decimal(0),
        spacing_bps=Decimal(0),
        level_notional=Decimal(3000),
        size_dispersion=0.6,
        refresh_ms=50,
        skew_bps=Decimal(1),
        volatility_widening=1.0,
        taker_rate=20.0,
        taker_notional=Decimal(1500),
        taker_size_sigma=1.4,
        taker_clustering=0.7,
        taker_memory_ms=500,
        informed_share=0.3,
        limit_rate=40.0,
        limit_lifetime_s=8.0,
        limit_depth_bps=Decimal(20),
        limit_notional=Decimal(5000),
    ),
    "thin": AgentSettings(
        levels=5,
        spread_bps=Decimal(20),
        spacing_bps=Decimal(10),
        level_notional=Decimal(1000),
        size_dispersion=0.6,
        refresh_ms=1000,
        skew_bps=Decimal(5),
        volatility_widening=1.0,
        taker_rate=1.0,
        taker_notional=Decimal(500),
        taker_size_sigma=1.2,
        taker_clustering=0.5,
        taker_memory_ms=2000,
        informed_share=0.5,
        limit_rate=0.5,
        limit_lifetime_s=60.0,
        limit_depth_bps=Decimal(100),
        limit_notional=Decimal(1000),
    ),
    "toy": AgentSettings(
        levels=10,
        spread_bps=Decimal(10),
        spacing_bps=Decimal(5),
        level_notional=Decimal(5000),
        size_dispersion=0.0,
        refresh_ms=250,
        skew_bps=Decimal(0),
        volatility_widening=0.0,
        taker_rate=5.0,
        taker_notional=Decimal(1000),
        taker_size_sigma=1.0,
        taker_clustering=0.0,
        taker_memory_ms=1000,
        informed_share=1.0,
        limit_rate=0.0,
        limit_lifetime_s=30.0,
        limit_depth_bps=Decimal(20),
        limit_notional=Decimal(2000),
    ),
}
"""The presets; each key of ``LiquidityConfig`` left empty takes its preset's value."""


def _tunable(name: str, kind: Any, doc: str, check: Any) -> Any:
    """The key ``name``, whose empty value means its preset's; its doc lists the presets' values."""
    values = ", ".join(f"{preset} {_shown(getattr(settings, name))}" for preset, settings in PRESETS.items())
    return setting(kind, None, f"{doc} Empty: the preset's ({values}).", check)


def _shown(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


@section
class LiquidityConfig:
    """[liquidity]: the agents that quote and trade every symbol, so books have depth and prices move."""

    enabled: bool = setting(BOOLEAN, True, "Run the market's agents on every symbol.")
    preset: str = setting(
        TEXT,
        "liquid",
        "The market the agents make: liquid (a 1-2 tick spread, deep book, clustered heavy-tailed flow),"
        " thin (a wide spread, little depth) or toy (ten equal levels around the fair price); the keys"
        " below override single values of it.",
        one_of(tuple(PRESETS)),
    )
    levels: int | None = _tunable(
        "levels", INTEGER, "Orders the market maker keeps on each side.", between(1, 200)
    )
    spread_bps: Decimal | None = _tunable(
        "spread_bps",
        DECIMAL,
        "Distance between the maker's best bid and ask, in basis points of the fair price"
        " (at least one tick a side).",
        between(0, 10_000),
    )
    spacing_bps: Decimal | None = _tunable(
        "spacing_bps",
        DECIMAL,
        "Distance between the maker's levels, in basis points of the fair price (at least one tick).",
        between(0, 10_000),
    )
    level_notional: Decimal | None = _tunable(
        "level_notional",
        DECIMAL,
        "Typical size of the maker's orders, in the quote asset (deeper levels larger).",
        at_least(0, exclusive=True),
    )
    size_dispersion: float | None = _tunable(
        "size_dispersion",
        REAL,
        "Spread of the maker's and limit traders' order sizes (the standard deviation of"
        " their log; 0: all alike).",
        between(0.0, 3.0),
    )
    refresh_ms: int | None = _tunable(
        "refresh_ms",
        INTEGER,
        "Longest time between two requotes of the maker, in market time (a move of the fair"
        " price by half a level, at least a tick, requotes at once).",
        between(1, 3_600_000),
    )
    skew_bps: Decimal | None = _tunable(
        "skew_bps",
        DECIMAL,
        "How far the maker shifts its quotes against its inventory, in basis points of the fair"
        " price per whole starting balance held over or under.",
        between(0, 10_000),
    )
    volatility_widening: float | None = _tunable(
        "volatility_widening",
        REAL,
        "How much the maker widens its quotes as the fair price moves faster than"
        " [market_data] volatility (the power of the ratio of the two; 0: never).",
        between(0.0, 10.0),
    )
    taker_rate: float | None = _tunable(
        "taker_rate",
        REAL,
        "Orders the takers send per second of market time, on average.",
        between(0.0, 100_000.0),
    )
    taker_notional: Decimal | None = _tunable(
        "taker_notional",
        DECIMAL,
        "Mean size of a taker's order, in the quote asset (log-normally distributed).",
        at_least(0, exclusive=True),
    )
    taker_size_sigma: float | None = _tunable(
        "taker_size_sigma",
        REAL,
        "Standard deviation of the log of the takers' order sizes (1.4: the largest"
        " order in a hundred is about 25 times the median).",
        between(0.0, 4.0),
    )
    taker_clustering: float | None = _tunable(
        "taker_clustering",
        REAL,
        "Share of taker orders set off by earlier ones (a Hawkes process's branching"
        " ratio; 0: Poisson arrivals).",
        between(0.0, 0.95),
    )
    taker_memory_ms: int | None = _tunable(
        "taker_memory_ms",
        INTEGER,
        "How long an order's excitement of further orders lasts (its decay time).",
        between(1, 3_600_000),
    )
    informed_share: float | None = _tunable(
        "informed_share",
        REAL,
        "Share of taker orders that trade toward the fair price when the book is off it"
        " (the rest pick a side at random).",
        between(0.0, 1.0),
    )
    limit_rate: float | None = _tunable(
        "limit_rate",
        REAL,
        "Limit orders a second, each side, that traders rest away from the touch (0: none).",
        between(0.0, 100_000.0),
    )
    limit_lifetime_s: float | None = _tunable(
        "limit_lifetime_s",
        REAL,
        "Mean time such an order rests before it is canceled, in market time.",
        between(0.001, 86_400.0),
    )
    limit_depth_bps: Decimal | None = _tunable(
        "limit_depth_bps",
        DECIMAL,
        "How far from the fair price they rest, at most, in basis points (more of them,"
        " and larger ones, further out).",
        between(Decimal("0.01"), 10_000),
    )
    limit_notional: Decimal | None = _tunable(
        "limit_notional",
        DECIMAL,
        "Typical size of their orders, in the quote asset.",
        at_least(0, exclusive=True),
    )

    def resolved(self) -> AgentSettings:
        """The preset with every key that is set in place of its value."""
        preset = PRESETS[self.preset]
        overrides = {
            field.name: getattr(self, field.name)
            for field in attrs.fields(AgentSettings)
            if getattr(self, field.name) is not None
        }
        return attrs.evolve(preset, **overrides)
