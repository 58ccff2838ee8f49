"""The moving market: each symbol's price model and agents on market time, and the candles.

``MarketService`` owns one ``MovingMarket`` per symbol and runs them, with the candle closes, on one
``MarketSchedule``: every tick at its own market time, in the same order in every run (see
``schedule``). At start each market opens before anything else runs: its reference price is the
model's initial price and the maker quotes both sides.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime

from ..config import (
    LIMIT_ACCOUNT,
    MAKER_ACCOUNT,
    TAKER_ACCOUNT,
    AgentSettings,
    ExchangeConfig,
    LiquidityConfig,
    MarketDataConfig,
    SymbolConfig,
)
from ..engine import Exchange
from .agents import LimitTrader, MarketMaker, Taker, funding_for, refill
from .clock import MarketClock
from .conditions import MarketConditions, parse_condition
from .models import MAX_JUMP, MAX_VOLATILITY, ModelSettings, PriceModel, rng_for
from .registry import model_class
from .schedule import MarketSchedule, Timer
from .statistics import MarketStatistics

__all__ = ["MarketService", "MovingMarket"]

AGENT_ACCOUNTS = (MAKER_ACCOUNT, TAKER_ACCOUNT, LIMIT_ACCOUNT)
MAX_JUMP_MS = 86_400_000  # a jump spreads over a day at most
CANDLE_MS = 1000  # candles close at every second of market time


@attrs.define
class Jump:
    """A move of the fair price by ``factor`` spread evenly over ``ticks`` ticks of model time."""

    factor: float
    ticks: int
    done: int = 0
    applied: float = 1.0  # what the jumps so far really moved (a model may stop at its floor)


class MovingMarket:
    """One symbol: its fair price model stepped tick by tick, and the agents trading around it."""

    def __init__(
        self,
        exchange: Exchange,
        symbol: str,
        model_name: str,
        model: PriceModel,
        interval_ms: int,
        agents: AgentSettings | None,
        seed: int,
        phase_ms: int = 0,
    ) -> None:
        self._exchange = exchange
        self.symbol = symbol
        self.model = model
        self.model_name = model_name
        self.interval_ms = interval_ms
        self._instrument = exchange.instrument(symbol)
        self._tick_size = float(self._instrument.tick_size)
        self.timer: Timer | None = None  # set when the market opens on its schedule
        self._schedule: MarketSchedule | None = None
        self._jump: Jump | None = None
        self.fair = self._on_grid(model.price)
        self._maker: MarketMaker | None = None
        self._taker: Taker | None = None
        self._limits: LimitTrader | None = None
        if agents is not None:
            self._maker = MarketMaker(
                exchange,
                MAKER_ACCOUNT,
                symbol,
                agents,
                rng_for(seed, f"{symbol}#maker"),
                phase_ms,
                model.volatility,
                interval_ms,
            )
            self._taker = Taker(exchange, TAKER_ACCOUNT, symbol, agents, rng_for(seed, f"{symbol}#taker"))
            if agents.limit_rate > 0:
                self._limits = LimitTrader(
                    exchange, LIMIT_ACCOUNT, symbol, agents, rng_for(seed, f"{symbol}#limit")
                )
            self._funding = funding_for(self._instrument, agents, self.fair)

    @property
    def paused(self) -> bool:
        return self.timer is None or not self.timer.running

    def lag(self) -> float:
        """Wall-clock seconds this market's next tick is overdue (0 on time, paused or not open)."""
        if self._schedule is None or self.paused:
            return 0.0
        return self._schedule.lag(self.timer)

    def open(self, schedule: MarketSchedule, ts: int) -> None:
        """Open at market time ``ts``: a reference price and a two-sided book, then ticks on ``schedule``."""
        self._exchange.open_market(self.symbol, self.fair)
        if self._taker is not None and self._taker.next_arrival == math.inf:  # not restored
            self._refill(ts)
            self._taker.begin(ts)
            if self._limits is not None:
                self._limits.begin(self.fair, ts)
        self._act(ts)
        self._schedule = schedule
        self.timer = schedule.add(self.interval_ms, self.tick)

    def start(self) -> None:
        """Resume a paused market at its next tick."""
        if self._schedule is not None and self.timer is not None:
            self._schedule.resume(self.timer)

    def stop(self) -> None:
        """Pause: no tick runs until ``start`` (the ticks in between never happen)."""
        if self._schedule is not None and self.timer is not None:
            self._schedule.pause(self.timer)

    def jump(self, fraction: float, duration_ms: int) -> None:
        """Move the fair price by ``fraction`` (-0.1: a 10% crash) over ``duration_ms`` of market time.

        It replaces a jump still under way; a paused market makes it when it resumes.
        """
        if not -1 < fraction <= MAX_JUMP:
            raise ValueError(f"fraction must be greater than -1 and at most {MAX_JUMP}")
        if not 0 <= duration_ms <= MAX_JUMP_MS:
            raise ValueError(f"duration_ms must be between 0 and {MAX_JUMP_MS}")
        self._jump = Jump(1 + fraction, max(1, round(duration_ms / self.interval_ms)))

    def state(self) -> dict[str, object]:
        """What a snapshot keeps: the model (price, parameters, random state), a jump under way, the
        agents' random streams and what they wait for."""
        agents = {"taker": self._taker, "limits": self._limits}
        return {
            "model": self.model,
            "jump": self._jump,
            **{name: None if agent is None else agent.state() for name, agent in agents.items()},
        }

    def restore(self, state: dict[str, object]) -> None:
        """Resume from ``state()`` of an earlier run; the maker takes over its quotes still resting."""
        self.model = state["model"]  # type: ignore[assignment]
        self._jump = state["jump"]  # type: ignore[assignment]
        self.fair = self._on_grid(self.model.price)
        for name, agent in (("taker", self._taker), ("limits", self._limits)):
            if agent is not None and state.get(name) is not None:
                agent.restore(state[name])  # type: ignore[arg-type]
        if self._maker is not None:
            self._maker.adopt()

    def tick(self, ts: int) -> None:
        """One tick at market time ``ts``: the model moves one step (from the path it worked out ahead),
        then the agents act."""
        self.model.advance(1)
        if self._jump is not None:
            self._step_jump()
        self.fair = self._on_grid(self.model.price)
        self._act(ts)

    def condition(self, kind: str, factor: float | None, duration_ms: int, ts: int) -> Callable[[], None]:
        """Apply a market condition (see ``conditions``) from market time ``ts``; return what undoes it."""
        model, exchange = self.model, self._exchange
        if kind == "volatility":
            before = model.volatility
            model.set_parameters(volatility=min(before * factor, MAX_VOLATILITY))  # type: ignore[operator]
            return lambda: model.set_parameters(volatility=before)
        if kind == "trend":
            drift = model.drift
            model.set_parameters(drift=factor)
            return lambda: model.set_parameters(drift=drift)
        if kind == "crash":
            self.jump(factor, duration_ms)  # type: ignore[arg-type]
            return lambda: None
        if kind == "halt":
            exchange.set_trading(self.symbol, False)
            return lambda: exchange.set_trading(self.symbol, True)
        agents = [agent for agent in (self._maker, self._taker, self._limits) if agent is not None]
        if not agents:
            return lambda: None
        maker = self._maker
        assert maker is not None and factor is not None
        if kind == "spread":
            maker.stress *= factor

            def calm() -> None:
                maker.stress /= factor

            return calm
        settings = maker.settings  # liquidity: every agent's order sizes
        scaled = attrs.evolve(
            settings,
            level_notional=settings.level_notional * Decimal(repr(factor)),
            limit_notional=settings.limit_notional * Decimal(repr(factor)),
        )
        for agent in agents:
            agent.retune(scaled)

        def restore() -> None:
            for agent in agents:
                agent.retune(settings)

        return restore

    def _step_jump(self) -> None:
        """Move the price to where the jump should be after one more tick of it."""
        jump = self._jump
        assert jump is not None
        jump.done += 1
        before = self.model.price
        self.model.jump(jump.factor ** (jump.done / jump.ticks) / jump.applied - 1)
        jump.applied *= self.model.price / before
        if jump.done == jump.ticks:
            self._jump = None

    def _act(self, ts: int) -> None:
        maker = self._maker
        if maker is None or self._taker is None:
            return
        fair = self.fair
        maker.observe(fair)
        if maker.due(fair, ts):
            self._refill(ts)
            maker.quote(fair, ts, self._inventory())
        if self._limits is not None:
            self._limits.act(fair, ts)
        self._taker.act(fair, ts)

    def _refill(self, ts: int) -> None:
        for account in AGENT_ACCOUNTS:
            refill(self._exchange, account, self._funding, ts)

    def _inventory(self) -> float:
        """The maker's base over (or under) its starting balance, in starting balances."""
        base = self._instrument.base
        start = self._funding[base]
        return (self._exchange.balance(MAKER_ACCOUNT, base).total - start) / start

    def _on_grid(self, price: float) -> int:
        """The fair price on the tick grid (at least one tick)."""
        return max(1, round(price / self._tick_size))


class MarketService(Service):
    """Runs every symbol's ``MovingMarket`` and the candle closes on one schedule of market time.

    ``markets``, ``schedule`` and ``conditions`` exist from the start, for the controls to act on; the
    markets open and the schedule runs once the service starts. ``audit(ts, action, **detail)`` hears
    of every condition that starts or ends.
    """

    def __init__(
        self,
        clock: IReactorTime,
        market_clock: MarketClock,
        exchange: Exchange,
        statistics: MarketStatistics,
        audit: Callable[..., object],
        *,
        symbols: Mapping[str, SymbolConfig],
        market_data: MarketDataConfig,
        liquidity: LiquidityConfig,
        settings: ExchangeConfig,
        conditions: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """``symbols``: the traded symbols' sections, in order; ``settings``: [exchange] (the seed and
        the default tick interval); ``conditions``: the [condition:NAME] sections as given."""
        self._market_clock = market_clock
        self._statistics = statistics
        self._configured_conditions = conditions
        if liquidity.enabled:
            for account in AGENT_ACCOUNTS:
                exchange.open_account(account)
        resolved = liquidity.resolved()
        agents = resolved if liquidity.enabled else None
        refresh_ms = resolved.refresh_ms
        self.markets: dict[str, MovingMarket] = {}
        for index, (symbol, own) in enumerate(symbols.items()):
            phase_ms = refresh_ms * index // len(symbols)
            self.markets[symbol] = _moving_market(
                exchange, symbol, own, market_data, settings, agents, phase_ms
            )
        self.schedule = MarketSchedule(clock, market_clock)
        self.conditions = MarketConditions(self.markets, self.schedule, audit)

    def startService(self) -> None:
        """Open every market at the market's present, schedule the configured conditions from there,
        then run the schedule."""
        super().startService()
        schedule = self.schedule
        now = self._market_clock.reached_ms
        schedule.add(CANDLE_MS, self._statistics.close_candles, first_ms=now - now % CANDLE_MS + CANDLE_MS)
        for market in self.markets.values():
            market.open(schedule, now)
        for name, raw in self._configured_conditions.items():
            self.conditions.add(parse_condition(name, raw, self.markets), now)
        schedule.start()

    def stopService(self) -> None:
        super().stopService()
        self.schedule.stop()


def _moving_market(
    exchange: Exchange,
    symbol: str,
    own: SymbolConfig,
    data: MarketDataConfig,
    settings: ExchangeConfig,
    agents: AgentSettings | None,
    phase_ms: int,
) -> MovingMarket:
    """Build one symbol's market from the configuration ([market_data], [symbol:NAME], [liquidity])."""
    interval_ms = own.tick_interval_ms or settings.tick_interval_ms
    model_settings = ModelSettings(
        initial_price=float(own.initial_price),
        tick_seconds=interval_ms / 1000,
        tick_size=float(own.tick_size),
        drift=data.drift if own.drift is None else own.drift,
        volatility=data.volatility if own.volatility is None else own.volatility,
        jump_rate=data.jump_rate,
        jump_mean=data.jump_mean,
        jump_stdev=data.jump_stdev,
        reversion_rate=data.reversion_rate,
        mean_price=None if own.mean_price is None else float(own.mean_price),
        replay_file=own.replay_file,
        replay_speed=data.replay_speed,
        vol_of_vol=data.vol_of_vol,
        vol_half_life_s=data.vol_half_life_s,
        vol_jump_rate=data.vol_jump_rate,
        vol_jump_share=data.vol_jump_share,
    )
    seed = settings.seed
    model_name = own.model or data.model
    model = model_class(model_name)(model_settings, rng_for(seed, symbol))
    return MovingMarket(exchange, symbol, model_name, model, interval_ms, agents, seed, phase_ms)
