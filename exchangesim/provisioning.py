"""What the configuration lists, put on the exchange: each symbol's instrument with its statistics, and
each account with its fee tier, API key and balances.

A first start opens all of it (``open_configured``); a state recovered from disk gets what the
configuration adds to it (``add_configured``); the admin API funds the accounts it opens (``fund``) and
empties those it resets or removes (``withdraw_available``).
"""

from __future__ import annotations

from collections.abc import KeysView, Mapping
from decimal import Decimal
from typing import TypeVar

import attrs

from .config import DEFAULT_ACCOUNT, AccountConfig, Config
from .credentials import ApiKey, KeyStore
from .engine import Exchange, FeeTier, Instrument, parse_amount
from .marketdata.clock import MarketClock
from .marketdata.statistics import MarketStatistics

__all__ = ["Provisioner"]

_T = TypeVar("_T")


@attrs.frozen
class Provisioner:
    """Lists the configured symbols and opens the configured accounts on ``exchange``, at the market
    time of ``clock``."""

    config: Config
    exchange: Exchange
    keys: KeyStore
    statistics: MarketStatistics
    clock: MarketClock

    @property
    def default_balance(self) -> dict[str, Decimal]:
        """What an account gets when nothing names its balances ([accounts] default_balance)."""
        return self.config.accounts.default_balance

    @property
    def configured_accounts(self) -> KeysView[str]:
        """The names of the [account:NAME] sections."""
        return self.config.named_accounts.keys()

    def open_configured(self) -> None:
        """A first start: every symbol [exchange] lists, the default account and every [account:NAME]."""
        for symbol in self.config.traded_symbols():
            self._list(symbol)
        self.exchange.open_account(DEFAULT_ACCOUNT)
        self.fund(DEFAULT_ACCOUNT, self.default_balance)
        for name, account in self.config.named_accounts.items():
            self._open(name, account)

    def add_configured(self) -> list[str]:
        """Open what the configuration names and the exchange lacks: its symbols and accounts, as at a
        first start; an asset newly traded is also deposited to the accounts already open whose
        configured balances name it. Returns the sections added, in the configuration's order."""
        config, exchange = self.config, self.exchange
        listed = {instrument.symbol for instrument in exchange.instruments()}
        traded = set(exchange.assets())
        added = []
        for symbol in config.traded_symbols():
            if symbol not in listed:
                self._list(symbol)
                added.append(f"[symbol:{symbol}]")
        opened = set(exchange.account_names())
        self._fund_new_assets(set(exchange.assets()) - traded, opened)
        for name, account in config.named_accounts.items():
            if name not in opened:
                self._open(name, account)
                added.append(f"[account:{name}]")
        return added

    def fund(self, account: str, balances: Mapping[str, Decimal]) -> None:
        """Deposit ``balances`` into ``account`` now; assets no listed symbol trades are skipped."""
        traded = set(self.exchange.assets())
        for asset, amount in balances.items():
            if amount > 0 and asset in traded:
                self.exchange.deposit(account, asset, parse_amount(amount), ts=self.clock.now_ms())

    def withdraw_available(self, account: str) -> None:
        """Withdraw everything available in ``account`` now (what open orders hold stays)."""
        now = self.clock.now_ms()
        for asset, view in self.exchange.balances(account).items():
            if view.available:
                self.exchange.withdraw(account, asset, view.available, ts=now)

    def _fund_new_assets(self, new_assets: set[str], opened: set[str]) -> None:
        """Deposit each newly traded asset to the configured accounts already open that name it."""
        configured = {DEFAULT_ACCOUNT: self.default_balance}
        configured.update(
            (name, self._balances_of(account)) for name, account in self.config.named_accounts.items()
        )
        for name, balances in configured.items():
            if name in opened:
                self.fund(name, {asset: amount for asset, amount in balances.items() if asset in new_assets})

    def _list(self, symbol: str) -> None:
        """List ``[symbol:NAME]``, its 24-hour statistics and candles opening at its initial price now."""
        instrument = _instrument(self.config, symbol)
        self.exchange.add_instrument(instrument)
        start = instrument.parse_price(self.config.symbols[symbol].initial_price)
        self.statistics.start(symbol, start, self.clock.now_ms())

    def _open(self, name: str, account: AccountConfig) -> None:
        """Open ``[account:NAME]``: its fee tier, its API key, its starting balances."""
        self.exchange.open_account(name, _fee_tier(name, account, self.config))
        self.keys.register(ApiKey(name, account.api_key, account.api_secret or ""))
        self.fund(name, self._balances_of(account))

    def _balances_of(self, account: AccountConfig) -> dict[str, Decimal]:
        return _or_default(account.balances, self.default_balance)


def _instrument(config: Config, symbol: str) -> Instrument:
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
        maker_fee=_or_default(settings.maker_fee, config.exchange.maker_fee),
        taker_fee=_or_default(settings.taker_fee, config.exchange.taker_fee),
    )


def _fee_tier(name: str, account: AccountConfig, config: Config) -> FeeTier | None:
    """The account's own fee tier when it sets a rate; a rate it leaves empty is [exchange]'s."""
    if account.maker_fee is None and account.taker_fee is None:
        return None
    exchange = config.exchange
    return FeeTier(
        name,
        _or_default(account.maker_fee, exchange.maker_fee),
        _or_default(account.taker_fee, exchange.taker_fee),
    )


def _or_default(value: _T | None, default: _T) -> _T:
    """``value``, or ``default`` when it is unset (``None``)."""
    return default if value is None else value
