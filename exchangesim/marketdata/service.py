"""The moving market: each symbol's price model on its tick schedule, its agents, candles on the clock.

``MarketService`` owns one ``MovingMarket`` per symbol and closes candles at every second boundary.
Everything runs on the injected clock (``IReactorTime``), so tests drive it with ``task.Clock``.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import numpy as np
from twisted.application.service import Service
from twisted.internet.interfaces import IDelayedCall, IReactorTime

from ..config import MAKER_ACCOUNT, TAKER_ACCOUNT, Config, LiquidityConfig
from ..venue import Venue
from .agents import MarketMaker, Taker, funding_for, refill
from .models import MAX_JUMP, ModelSettings, PriceModel, rng_for
from .registry import model_class
from .schedule import TickSchedule

__all__ = ["MarketService", "MovingMarket"]

MAX_JUMP_MS = 86_400_000  # a jump spreads over a day at most


@attrs.define
class Jump:
    """A move of the fair price by ``factor`` spread evenly over ``ticks`` ticks of model time."""

    factor: float
    ticks: int
    done: int = 0
    applied: float = 1.0  # what the jumps so far really moved (a model may round to its grid)


class MovingMarket:
    """One symbol: its fair price model stepped on schedule, and the agents trading around it."""

    def __init__(
        self,
        venue: Venue,
        symbol: str,
        model_name: str,
        model: PriceModel,
        interval: float,
        speed: float,
        agents: LiquidityConfig | None,
        rng: np.random.Generator,
        phase_ms: int = 0,
    ) -> None:
        self._venue = venue
        self.symbol = symbol
        self.model = model
        self.model_name = model_name
        self._interval = interval
        self._instrument = venue.exchange.instrument(symbol)
        self.schedule = TickSchedule(venue.clock, interval, self._tick, speed)
        self._jump: Jump | None = None
        self.fair = self._on_grid(model.price)
        self._maker = self._taker = None
        self._taker_rng = rng
        if agents is not None:
            exchange = venue.exchange
            self._maker = MarketMaker(exchange, MAKER_ACCOUNT, symbol, agents, phase_ms)
            self._taker = Taker(exchange, TAKER_ACCOUNT, symbol, agents, rng)
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

    def jump(self, fraction: float, duration_ms: int) -> None:
        """Move the fair price by ``fraction`` (-0.1: a 10% crash) over ``duration_ms`` of model time.

        It replaces a jump still under way; a paused market makes it when it resumes.
        """
        if not -1 < fraction <= MAX_JUMP:
            raise ValueError(f"fraction must be greater than -1 and at most {MAX_JUMP}")
        if not 0 <= duration_ms <= MAX_JUMP_MS:
            raise ValueError(f"duration_ms must be between 0 and {MAX_JUMP_MS}")
        self._jump = Jump(1 + fraction, max(1, round(duration_ms / 1000 / self._interval)))

    def state(self) -> dict[str, object]:
        """What a snapshot keeps: the model (price, parameters, random state), a jump under way, the
        taker's random state."""
        return {"model": self.model, "jump": self._jump, "taker_rng": self._taker_rng.bit_generator.state}

    def restore(self, state: dict[str, object]) -> None:
        """Resume from ``state()`` of an earlier run; the maker takes over its quotes still resting."""
        self.model = state["model"]  # type: ignore[assignment]
        self._jump = state["jump"]  # type: ignore[assignment]
        self._taker_rng.bit_generator.state = state["taker_rng"]
        self.fair = self._on_grid(self.model.price)
        if self._maker is not None:
            self._maker.adopt()

    def _tick(self, ticks: int) -> None:
        self.model.advance(ticks)
        if self._jump is not None:
            self._step_jump(ticks)
        self.fair = self._on_grid(self.model.price)
        self._act(ticks, self._venue.now_ms())

    def _step_jump(self, ticks: int) -> None:
        """Move the price to where the jump should be after this many more ticks of it."""
        jump = self._jump
        assert jump is not None
        jump.done = min(jump.ticks, jump.done + ticks)
        before = self.model.price
        self.model.jump(jump.factor ** (jump.done / jump.ticks) / jump.applied - 1)
        jump.applied *= self.model.price / before
        if jump.done == jump.ticks:
            self._jump = None

    def _act(self, ticks: int, ts: int) -> None:
        if self._maker is None or self._taker is None:
            return
        if self._maker.due(self.fair, ts):
            for account in (MAKER_ACCOUNT, TAKER_ACCOUNT):
                refill(self._venue.exchange, account, self._funding, ts)
            self._maker.quote(self.fair, ts)
        self._taker.act(ticks * self._interval, self.fair, ts)

    def _on_grid(self, price: float) -> int:
        """The fair price on the tick grid (at least one tick)."""
        return max(1, round(Decimal(repr(price)) / self._instrument.tick_size))


class MarketService(Service):
    """Runs every symbol's ``MovingMarket`` and closes candles on the clock."""

    def __init__(self, venue: Venue) -> None:
        self._venue = venue
        if venue.config.liquidity.enabled:
            for account in (MAKER_ACCOUNT, TAKER_ACCOUNT):
                venue.exchange.open_account(account)
        self.markets = venue.markets
        symbols = list(venue.candles)
        for index, symbol in enumerate(symbols):
            phase_ms = venue.config.liquidity.refresh_ms * index // len(symbols)
            self.markets[symbol] = _moving_market(venue, symbol, phase_ms)
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


def _moving_market(venue: Venue, symbol: str, phase_ms: int) -> MovingMarket:
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
    model_name = own.model or data.model
    model = model_class(model_name)(settings, rng_for(seed, symbol))
    agents = config.liquidity if config.liquidity.enabled else None
    taker_rng = rng_for(seed, f"{symbol}#taker")
    return MovingMarket(
        venue, symbol, model_name, model, interval_ms / 1000, data.speed, agents, taker_rng, phase_ms
    )
