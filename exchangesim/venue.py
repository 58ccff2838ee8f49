"""The composition root: one simulated exchange's parts, built once from the configuration.

``open_venue`` makes the engine, the market's clock, the API keys and who may act with them, the
faults, the request limiter, the market statistics and the moving market, and lists the configured
instruments and opens and funds the configured accounts. The services (``service.py``) wire each
component with the parts it needs; no component takes the venue itself.
"""

from __future__ import annotations

import secrets

import attrs
from twisted.internet.interfaces import IReactorTime

from .api.auth import Authenticator
from .api.ratelimit import WeightLimiter
from .config import DEFAULT_ACCOUNT, FEE_ACCOUNT, Config
from .credentials import KeyStore
from .engine import Exchange
from .failures.controller import FaultController
from .marketdata.clock import MarketClock
from .marketdata.service import MarketService
from .marketdata.statistics import MarketStatistics
from .provisioning import Provisioner

__all__ = ["Venue", "open_venue"]


@attrs.frozen
class Venue:
    """One simulated exchange's parts: ``exchange`` in engine units, ``market_clock`` in market time,
    ``clock`` the reactor's (wall) time, ``market`` the moving market (a service its parent starts)."""

    config: Config
    clock: IReactorTime
    market_clock: MarketClock
    exchange: Exchange
    keys: KeyStore
    authenticator: Authenticator
    admin_token: str
    faults: FaultController
    limiter: WeightLimiter  # per-key request weight, shared by both dialects
    statistics: MarketStatistics
    provisioner: Provisioner
    market: MarketService

    def now_ms(self) -> int:
        """The market time in epoch milliseconds, as every engine command and market message is stamped."""
        return self.market_clock.now_ms()

    def wall_ms(self) -> int:
        """The wall clock in epoch milliseconds (signatures' windows, rate limits, the server's time)."""
        return self.market_clock.wall_ms()


def open_venue(config: Config, clock: IReactorTime) -> Venue:
    """A venue with the configured instruments, the default and named accounts, funded."""
    server = config.server
    exchange = Exchange(fee_account=FEE_ACCOUNT)
    keys = KeyStore()
    authenticator = Authenticator(
        clock,
        keys,
        anonymous_account=DEFAULT_ACCOUNT if server.allow_anonymous else None,
        require_signature=server.require_signature,
        recv_window_ms=server.recv_window_ms,
    )
    market_clock = MarketClock(
        clock,
        config.market_data.speed,
        config.exchange.start_time,
        paused=config.exchange.clock == "manual",
    )
    statistics = MarketStatistics()
    exchange.subscribe(statistics.record_trades)
    provisioner = Provisioner(config, exchange, keys, statistics, market_clock)
    provisioner.open_configured()
    faults = _fault_controller(config, clock)
    market = MarketService(
        clock,
        market_clock,
        exchange,
        statistics,
        faults.audit.control,  # conditions are audited with the faults
        symbols=config.traded_symbols(),
        market_data=config.market_data,
        liquidity=config.liquidity,
        settings=config.exchange,
        conditions=config.conditions,
    )
    return Venue(
        config,
        clock,
        market_clock,
        exchange,
        keys,
        authenticator,
        server.admin_token or secrets.token_urlsafe(24),
        faults,
        WeightLimiter(clock, server.request_rate_limit),
        statistics,
        provisioner,
        market,
    )


def _fault_controller(config: Config, clock: IReactorTime) -> FaultController:
    """The controller with the [failure:NAME] faults installed ([failures] seed, else [exchange] seed)."""
    seed = config.exchange.seed if config.failures.seed is None else config.failures.seed
    controller = FaultController(config.failures, clock, seed)
    controller.apply(controller.parse(name, dict(raw)) for name, raw in config.faults.items())
    return controller
