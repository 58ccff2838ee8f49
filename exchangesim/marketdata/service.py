"""The moving market: each symbol's price model on its tick schedule, its agents, candles on the clock.

``MarketService`` owns one ``MovingMarket`` per symbol and closes candles at every second boundary.
Everything runs on the injected clock (``IReactorTime``), so tests drive it with ``task.Clock``.
"""

from __future__ import annotations

import math
from decimal import Decimal

import attrs
import numpy as np
from twisted.application.service import Service
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from ..config import Config
from ..venue import Venue
from .agents import AgentSettings, MarketMaker, Taker, funding_for, refill
from .models import ModelSettings, PriceModel, rng_for
from .registry import model_class
from .schedule import TickSchedule

__all__ = ["MarketService", "MovingMarket"]

MAKER, TAKER = "agent-maker", "agent-taker"


@attrs.define
class Crash:
    """A price jump spread over ``ticks`` ticks: each multiplies the fair price by ``factor``."""

    factor: float
    ticks: int


class MovingMarket:
    """One symbol: its fair price model stepped on schedule, and the agents trading around it."""

    log = Logger()

    def __init__(
        self,
        venue: Venue,
        symbol: str,
        model: PriceModel,
        interval: float,
        speed: float,
        agents: AgentSettings | None,
        rng: np.random.Generator,
    ) -> None:
        self._venue = venue
        self.symbol = symbol
        self.model = model
        self._interval = interval
        self._instrument = venue.exchange.instrument(symbol)
        self.schedule = TickSchedule(venue.clock, interval, self._tick, speed)
        self._crash: Crash | None = None
        self.fair = self._ticks(model.price)
        self._maker = self._taker = None
        if agents is not None:
            exchange = venue.exchange
            self._maker = MarketMaker(exchange, MAKER, symbol, agents)
            self._taker = Taker(exchange, TAKER, symbol, agents, rng)
            self._funding = funding_for(self._instrument, agents, self.fair)

    @property
    def paused(self) -> bool:
        return not self.schedule.running

    def start(self) -> None:
        """Quote at once, then move on schedule."""
        self._act(0, self._venue.now_ms())
        self.schedule.start()

    def stop(self) -> None:
        self.schedule.stop()

    def crash(self, fraction: float, duration_ms: int) -> None:
        """Move the fair price by ``fraction`` (-0.1: a 10% fall) over ``duration_ms`` of model time."""
        if not (math.isfinite(fraction) and fraction > -1):
            raise ValueError("fraction must leave the price positive (greater than -1)")
        ticks = max(1, round(duration_ms / 1000 / self._interval))
        self._crash = Crash((1 + fraction) ** (1 / ticks), ticks)

    def _tick(self, ticks: int) -> None:
        self.model.advance(ticks)
        crash = self._crash
        if crash is not None:
            steps = min(ticks, crash.ticks)
            self.model.jump(crash.factor**steps - 1)
            crash.ticks -= steps
            if not crash.ticks:
                self._crash = None
        self.fair = self._ticks(self.model.price)
        self._act(ticks, self._venue.now_ms())

    def _act(self, ticks: int, ts: int) -> None:
        if self._maker is None or self._taker is None:
            return
        if self._maker.due(self.fair, ts):
            for account in (MAKER, TAKER):
                refill(self._venue.exchange, account, self._funding, ts)
            self._maker.quote(self.fair, ts)
        self._taker.act(ticks * self._interval, self.fair, ts)

    def _ticks(self, price: float) -> int:
        """The fair price on the tick grid (at least one tick)."""
        return max(1, round(Decimal(repr(price)) / self._instrument.tick_size))


class MarketService(Service):
    """Runs every symbol's ``MovingMarket`` and closes candles on the clock."""

    log = Logger()

    def __init__(self, venue: Venue) -> None:
        self._venue = venue
        if venue.config.liquidity.enabled:
            for account in (MAKER, TAKER):
                venue.exchange.open_account(account)
        self.markets = venue.markets
        for symbol in venue.candles:
            self.markets[symbol] = _moving_market(venue, symbol)
        self._candle_call: IDelayedCall | None = None

    def startService(self) -> None:
        super().startService()
        for market in self.markets.values():
            market.start()
        self._plan_candles()

    def stopService(self) -> None:
        super().stopService()
        for market in self.markets.values():
            market.stop()
        if self._candle_call is not None and self._candle_call.active():
            self._candle_call.cancel()
        self._candle_call = None

    def _plan_candles(self) -> None:
        clock: IReactorTime = self._venue.clock
        now_ms = self._venue.now_ms()
        self._candle_call = clock.callLater((1000 - now_ms % 1000) / 1000, self._close_candles)

    def _close_candles(self) -> None:
        self._venue.close_candles()
        self._plan_candles()


def _moving_market(venue: Venue, symbol: str) -> MovingMarket:
    """Build one symbol's market from the configuration ([market_data], [symbol:NAME], [liquidity])."""
    config: Config = venue.config
    data, own = config.market_data, config.symbols[symbol]
    interval_ms = own.tick_interval_ms or config.exchange.tick_interval_ms
    settings = ModelSettings(
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
    )
    seed = config.exchange.seed
    model = model_class(own.model or data.model)(settings, rng_for(seed, symbol))
    liquidity = config.liquidity
    agents = None
    if liquidity.enabled:
        agents = AgentSettings(
            levels=liquidity.levels,
            spread_bps=liquidity.spread_bps,
            spacing_bps=liquidity.spacing_bps,
            level_notional=liquidity.level_notional,
            refresh_ms=liquidity.refresh_ms,
            taker_rate=liquidity.taker_rate,
            taker_notional=liquidity.taker_notional,
        )
    return MovingMarket(
        venue, symbol, model, interval_ms / 1000, data.speed, agents, rng_for(seed, f"{symbol}#taker")
    )
