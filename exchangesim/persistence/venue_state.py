"""What a snapshot holds of a running venue, and putting it back.

The engine (books, accounts, orders, ids, sequences, trade ids, positions), the API keys, each
symbol's candles and 24-hour statistics, and each moving market's model and random state.
"""

from __future__ import annotations

from typing import Any

from ..api.auth import ApiKey
from ..venue import Venue
from .snapshots import exchange_state, restore_exchange

__all__ = ["capture_venue", "restore_markets", "restore_venue"]


def capture_venue(venue: Venue) -> dict[str, Any]:
    """The venue's state, ready to pickle (between two commands)."""
    authenticator = venue.authenticator
    return {
        "exchange": exchange_state(venue.exchange),
        "keys": [
            (key.account, key.key, key.secret)
            for account in venue.exchange.account_names()
            for key in authenticator.keys_of(account)
        ],
        "candles": dict(venue.candles),
        "rolling": dict(venue.rolling),
        "markets": {symbol: market.state() for symbol, market in venue.markets.items()},
        "market_ms": venue.now_ms(),
    }


def restore_venue(venue: Venue, state: dict[str, Any]) -> None:
    """Put a captured state back into ``venue``'s own objects (the moving markets: ``restore_markets``)."""
    restore_exchange(venue.exchange, state["exchange"])
    for account, key, secret in state["keys"]:
        venue.authenticator.register(ApiKey(account, key, secret))
    venue.candles.update(state["candles"])
    venue.rolling.update(state["rolling"])


def restore_markets(venue: Venue, state: dict[str, Any]) -> None:
    """Resume each moving market from its captured model state, once the engine is up to date."""
    for symbol, market_state in state["markets"].items():
        market = venue.markets.get(symbol)
        if market is not None:
            market.restore(market_state)
