"""What the ``exchangesim`` fixture yields: one running daemon, its admin API and ready-made clients."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ._admin import Admin
from ._daemon import Daemon

if TYPE_CHECKING:
    from exchangesim.client import ExchangeClient

__all__ = ["Account", "Exchangesim"]

CCXT_OPTIONS = {
    "fetchCurrencies": False,  # else: GET sapi/v1/capital/config/getall on real Binance
    "fetchMarkets": {"types": ["spot"]},  # else: fapi/dapi exchangeInfo as well
    "fetchMargins": False,  # else: sapi/v1/margin/allPairs
}


class Account(NamedTuple):
    """An account made by ``new_account``; unpacks as ``name, api_key, api_secret``."""

    name: str
    api_key: str
    api_secret: str


class Exchangesim:
    """A daemon started for the tests: URLs, the admin API, accounts, clients and the audit of faults."""

    def __init__(self, daemon: Daemon, admin_token: str, seed: int) -> None:
        self.daemon = daemon
        self.seed = seed
        self.base_url = daemon.base_url
        self.ws_url = f"ws://127.0.0.1:{daemon.port}/ws"
        self.admin = Admin(self.base_url, admin_token)
        self.accounts: dict[str, Account] = {}
        self._names = itertools.count(1)
        self._test_started_at = 0  # the last audit_seq before the current test began

    @property
    def port(self) -> int:
        return self.daemon.port

    @property
    def log(self) -> str:
        """Everything the daemon printed so far."""
        return self.daemon.printed()

    def new_account(self, balances: Mapping[str, Any] | None = None, name: str | None = None) -> Account:
        """Open an account with keys (``balances`` such as ``{"USD": "10000"}``; none: the default)."""
        if name is None:
            name = f"pytest-{next(self._names)}"
            while name in self.accounts:
                name = f"pytest-{next(self._names)}"
        answer = self.admin.create_account(name, balances)
        account = Account(name, answer["api_key"], answer["api_secret"])
        self.accounts[name] = account
        return account

    def client(self, account: Account | str | None = None, **options: Any) -> ExchangeClient:
        """An asyncio ``ExchangeClient`` acting for ``account`` (none: the default account), unopened:
        use it as ``async with exchangesim.client(account) as client``."""
        from exchangesim.client import ExchangeClient  # aiohttp only for the tests that use it

        if account is None:
            return ExchangeClient(self.base_url, **options)
        found = self._account(account)
        return ExchangeClient(self.base_url, found.api_key, found.api_secret, **options)

    def ccxt_config(self, account: Account | str | None = None, **options: Any) -> dict[str, Any]:
        """The configuration of stock ``ccxt.binance`` / ``ccxt.pro.binance`` for this daemon.

        The URL overrides are in it under ``urls``; ccxt deep-merges its constructor's argument into
        its own description, so ``ccxt.binance(exchangesim.ccxt_config(account))`` is all it takes.
        ``options`` are merged into ccxt's ``options``.
        """
        rest = f"{self.base_url}/api/v3"
        ws = f"ws://127.0.0.1:{self.port}"
        config: dict[str, Any] = {
            "enableRateLimit": False,
            "options": {**CCXT_OPTIONS, **options},
            "urls": {
                "api": {
                    "public": rest,
                    "private": rest,
                    "ws": {"spot": f"{ws}/ws", "ws-api": {"spot": f"{ws}/ws-api/v3"}},
                }
            },
        }
        if account is not None:
            found = self._account(account)
            config["apiKey"], config["secret"] = found.api_key, found.api_secret
        return config

    def faults_injected(self, test_only: bool = True, include_control: bool = False) -> list[dict[str, Any]]:
        """Audit events of injected faults, oldest first: since the current test began (its fixtures'
        set-up included), or since the daemon started; ``include_control`` adds the operators' changes
        (faults added and removed, markets paused), which are events of the fault ``admin``."""
        events = self.admin.all_events(self._test_started_at if test_only else 0)
        if include_control:
            return events
        return [event for event in events if event.get("fault") != "admin"]

    def mark_test_start(self) -> None:
        """Remember where the audit stands, so ``faults_injected()`` shows this test's events only."""
        events = self.admin.all_events(self._test_started_at)
        if events:
            self._test_started_at = events[-1]["audit_seq"]

    def stop(self) -> int:
        return self.daemon.stop()

    def _account(self, account: Account | str) -> Account:
        if isinstance(account, Account):
            return account
        if isinstance(account, tuple) and len(account) == 3:
            return Account(*account)
        try:
            return self.accounts[account]
        except KeyError:
            raise KeyError(
                f"no account {account!r} made by new_account; made: {list(self.accounts)}"
            ) from None

    def __repr__(self) -> str:
        return f"<Exchangesim {self.base_url} seed={self.seed}>"
