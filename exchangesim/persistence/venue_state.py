"""What a snapshot holds of a running venue, putting it back, and adding what the configuration adds.

The engine (books, accounts, orders, ids, sequences, trade ids, positions), the API keys, each
symbol's candles and 24-hour statistics, and each moving market's model and random state.
"""

from __future__ import annotations

from typing import Any

from ..api.auth import ApiKey
from ..config import DEFAULT_ACCOUNT
from ..venue import Venue, configured_instrument, open_configured_account, start_statistics
from .snapshots import exchange_state, restore_exchange

__all__ = ["add_configured", "capture_venue", "restore_markets", "restore_venue"]


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


def add_configured(venue: Venue) -> list[str]:
    """Open what the configuration names and the recovered state lacks: its symbols (statistics and
    candles from the market time now) and accounts, funded as at a first start; an asset newly traded
    is also deposited to the accounts already open whose configured balances name it. Returns the
    sections added, in the configuration's order."""
    config, exchange = venue.config, venue.exchange
    listed = {instrument.symbol for instrument in exchange.instruments()}
    traded = set(exchange.assets())
    added = []
    for symbol in config.traded_symbols():
        if symbol not in listed:
            exchange.add_instrument(configured_instrument(config, symbol))
            start_statistics(venue, symbol)
            added.append(f"[symbol:{symbol}]")
    new_assets = set(exchange.assets()) - traded
    accounts = set(exchange.account_names())
    if new_assets:
        balances = {DEFAULT_ACCOUNT: config.accounts.default_balance}
        for name, account in config.named_accounts.items():
            balances[name] = config.accounts.default_balance if account.balances is None else account.balances
        for name, configured in balances.items():
            if name in accounts:
                venue.fund(
                    name, {asset: amount for asset, amount in configured.items() if asset in new_assets}
                )
    for name, account in config.named_accounts.items():
        if name not in accounts:
            open_configured_account(venue, name, account)
            added.append(f"[account:{name}]")
    return added
