"""What a snapshot holds of a running venue, and putting it back.

The engine (books, accounts, orders, ids, sequences, trade ids, positions), the API keys, each
symbol's candles and 24-hour statistics, and each moving market's model and random state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..credentials import ApiKey, KeyStore
from ..engine import Exchange
from ..marketdata.clock import MarketClock
from ..marketdata.service import MovingMarket
from ..marketdata.statistics import MarketStatistics

__all__ = ["VenueState"]


@attrs.frozen
class VenueState:
    """The parts of a running venue a snapshot holds; ``clock`` is the market's, which stamps it."""

    exchange: Exchange
    keys: KeyStore
    statistics: MarketStatistics
    markets: Mapping[str, MovingMarket]
    clock: MarketClock

    def capture(self) -> dict[str, Any]:
        """The state, ready to pickle (between two commands)."""
        exchange = self.exchange
        return {
            "exchange": exchange.state(),
            "keys": [
                (key.account, key.key, key.secret)
                for account in exchange.account_names()
                for key in self.keys.keys_of(account)
            ],
            "candles": dict(self.statistics.candles),
            "rolling": dict(self.statistics.rolling),
            "markets": {symbol: market.state() for symbol, market in self.markets.items()},
            "market_ms": self.clock.now_ms(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Put a captured state back into the parts' own objects (the moving markets:
        ``restore_markets``)."""
        self.exchange.restore(state["exchange"])
        for account, key, secret in state["keys"]:
            self.keys.register(ApiKey(account, key, secret))
        self.statistics.candles.update(state["candles"])
        self.statistics.rolling.update(state["rolling"])

    def restore_markets(self, state: dict[str, Any]) -> None:
        """Resume each moving market from its captured model state, once the engine is up to date."""
        for symbol, market_state in state["markets"].items():
            market = self.markets.get(symbol)
            if market is not None:
                market.restore(market_state)
