"""The running exchange as every adapter sees it: the engine, the clock, credentials and settings.

``open_venue`` lists the configured instruments and opens and funds the configured accounts, so the
REST routes, the WebSocket streams and later dialects all work on one engine.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
from twisted.internet.interfaces import IReactorTime

from .api.auth import ApiKey, Authenticator
from .api.ratelimit import WeightLimiter
from .config import DEFAULT_ACCOUNT, FEE_ACCOUNT, AccountConfig, Config
from .engine import CommandResult, Exchange, FeeTier, Instrument, parse_amount
from .failures.controller import FaultController
from .marketdata.candles import INTERVALS, Candle, CandleSeries
from .marketdata.clock import MarketClock
from .marketdata.rolling import RollingStats
from .persistence.commands import JournaledExchange
from .persistence.keys import JournaledAuthenticator

if TYPE_CHECKING:
    from .marketdata.conditions import MarketConditions
    from .marketdata.schedule import MarketSchedule
    from .marketdata.service import MovingMarket

__all__ = ["Venue", "configured_instrument", "open_configured_account", "open_venue", "start_statistics"]


@attrs.define
class Venue:
    """One simulated exchange: ``exchange`` in engine units, ``now_ms`` in market time."""

    config: Config
    exchange: Exchange
    clock: IReactorTime
    market_clock: MarketClock
    authenticator: Authenticator
    admin_token: str
    faults: FaultController
    limiter: WeightLimiter  # per-key request weight, shared by both dialects
    rolling: dict[str, RollingStats] = attrs.Factory(dict)
    candles: dict[str, dict[str, CandleSeries]] = attrs.Factory(dict)
    candle_listeners: list[Callable[[str, str, list[Candle]], object]] = attrs.Factory(list)
    markets: dict[str, MovingMarket] = attrs.Factory(dict)  # filled by the MarketService
    conditions: MarketConditions | None = None  # the MarketService's, once it runs
    schedule: MarketSchedule | None = None  # the MarketService's, once it runs (the clock control)

    def now_ms(self) -> int:
        """The market time in epoch milliseconds, as every engine command and market message is stamped."""
        return self.market_clock.now_ms()

    def wall_ms(self) -> int:
        """The wall clock in epoch milliseconds (signatures' windows, rate limits, the server's time)."""
        return self.market_clock.wall_ms()

    def record_trades(self, result: CommandResult) -> None:
        """Engine subscriber: feed each trade into its symbol's 24-hour statistics and candles."""
        for trade in result.trades:
            symbol = trade.symbol
            self.rolling[symbol].record(trade)
            for interval, series in self.candles[symbol].items():
                self._announce(symbol, interval, series.record(trade))

    def close_candles(self, now: int) -> None:
        """Close every candle whose interval has ended by market time ``now``, traded in or not."""
        for symbol, by_interval in self.candles.items():
            for interval, series in by_interval.items():
                self._announce(symbol, interval, series.close_until(now))

    def _announce(self, symbol: str, interval: str, closed: list[Candle]) -> None:
        if closed:
            for listener in self.candle_listeners:
                listener(symbol, interval, closed)

    def fund(self, account: str, balances: dict[str, Decimal]) -> None:
        """Deposit ``balances`` into ``account``; assets no listed symbol trades are skipped."""
        traded = set(self.exchange.assets())
        for asset, amount in balances.items():
            if amount > 0 and asset in traded:
                self.exchange.deposit(account, asset, parse_amount(amount), ts=self.now_ms())


def open_venue(config: Config, clock: IReactorTime) -> Venue:
    """A venue with the configured instruments, the default and named accounts, funded."""
    persisted = config.persistence.enabled  # the persistence service attaches the journal at start
    exchange = (JournaledExchange if persisted else Exchange)(fee_account=FEE_ACCOUNT)
    for symbol in config.traded_symbols():
        exchange.add_instrument(configured_instrument(config, symbol))
    server = config.server
    authenticator = (JournaledAuthenticator if persisted else Authenticator)(
        clock,
        anonymous_account=DEFAULT_ACCOUNT if server.allow_anonymous else None,
        require_signature=server.require_signature,
        recv_window_ms=server.recv_window_ms,
    )
    admin_token = server.admin_token or secrets.token_urlsafe(24)
    limiter = WeightLimiter(clock, server.request_rate_limit)
    market_clock = MarketClock(
        clock,
        config.market_data.speed,
        config.exchange.start_time,
        paused=config.exchange.clock == "manual",
    )
    venue = Venue(
        config,
        exchange,
        clock,
        market_clock,
        authenticator,
        admin_token,
        _fault_controller(config, clock),
        limiter,
    )
    for instrument in exchange.instruments():
        start_statistics(venue, instrument.symbol)
    exchange.subscribe(venue.record_trades)
    exchange.open_account(DEFAULT_ACCOUNT)
    venue.fund(DEFAULT_ACCOUNT, config.accounts.default_balance)
    for name, account in config.named_accounts.items():
        open_configured_account(venue, name, account)
    return venue


def configured_instrument(config: Config, symbol: str) -> Instrument:
    """The instrument ``[symbol:NAME]`` describes, its empty fee rates [exchange]'s."""
    settings = config.symbols[symbol]
    base, quote = symbol.split("/")
    return Instrument(
        symbol=symbol,
        base=base,
        quote=quote,
        tick_size=settings.tick_size,
        lot_size=settings.lot_size,
        min_qty=settings.min_qty,
        max_qty=settings.max_qty,
        min_notional=settings.min_notional,
        maker_fee=_first(settings.maker_fee, config.exchange.maker_fee),
        taker_fee=_first(settings.taker_fee, config.exchange.taker_fee),
    )


def start_statistics(venue: Venue, symbol: str) -> None:
    """Empty 24-hour statistics and candles for ``symbol`` from the market time now, opening at its
    initial price."""
    instrument = venue.exchange.instrument(symbol)
    start = instrument.parse_price(venue.config.symbols[symbol].initial_price)
    now = venue.now_ms()
    venue.rolling[symbol] = RollingStats()
    venue.candles[symbol] = {name: CandleSeries(length, now, start) for name, length in INTERVALS.items()}


def open_configured_account(venue: Venue, name: str, account: AccountConfig) -> None:
    """Open ``[account:NAME]``: its fee tier, its API key, its starting balances."""
    config = venue.config
    venue.exchange.open_account(name, _fee_tier(name, account, config))
    venue.authenticator.register(ApiKey(name, account.api_key, account.api_secret or ""))
    venue.fund(name, _first(account.balances, config.accounts.default_balance))


def _fault_controller(config: Config, clock: IReactorTime) -> FaultController:
    """The controller with the [failure:NAME] faults installed ([failures] seed, else [exchange] seed)."""
    seed = config.exchange.seed if config.failures.seed is None else config.failures.seed
    controller = FaultController(config.failures, clock, seed)
    controller.apply(controller.parse(name, dict(raw)) for name, raw in config.faults.items())
    return controller


def _first(value, default):
    return default if value is None else value


def _fee_tier(name: str, account: AccountConfig, config: Config) -> FeeTier | None:
    """The account's own fee tier when it sets a rate; a rate it leaves empty is [exchange]'s."""
    if account.maker_fee is None and account.taker_fee is None:
        return None
    exchange = config.exchange
    return FeeTier(
        name, _first(account.maker_fee, exchange.maker_fee), _first(account.taker_fee, exchange.taker_fee)
    )
