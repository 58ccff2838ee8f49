"""What the ``exchangesim`` fixture yields: one running daemon, its admin API and ready-made clients."""

from __future__ import annotations

import itertools
import time
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..admin_client import Account, account_in
from ._admin import Admin
from ._daemon import Daemon

if TYPE_CHECKING:
    from exchangesim.client import ExchangeClient

__all__ = ["Account", "Exchangesim"]


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
        self._marks = itertools.count(1)
        self._test_started_at = 0  # the last audit_seq before the current test began

    @property
    def port(self) -> int:
        return self.daemon.port

    @property
    def log(self) -> str:
        """Everything the daemon printed so far."""
        return self.daemon.printed()

    @property
    def log_lines(self) -> list[str]:
        """What the daemon printed so far, line by line (the access log's lines included)."""
        return self.daemon.lines

    def log_position(self) -> int:
        """How many lines the daemon has printed up to now (see ``log_lines_so_far``)."""
        marked = self._read_up_to_now()
        return len(self.daemon.lines) if marked is None else marked + 1

    def log_lines_so_far(self, since: int = 0) -> list[str]:
        """The daemon's lines from line ``since`` up to now."""
        return self.daemon.lines[since : self._read_up_to_now()]

    def _read_up_to_now(self, timeout: float = 5.0) -> int | None:
        """The daemon's output reaches us late: send a marked request and wait for its access-log line,
        before which every line printed so far has then been read. Its index (None: no answer)."""
        mark = f"exchangesim-log-mark={next(self._marks)}"
        try:
            urllib.request.urlopen(f"{self.base_url}/api/v1/health?{mark}", timeout=timeout).close()
        except OSError:
            return None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.daemon.lines
            for index in range(len(lines) - 1, -1, -1):
                if mark in lines[index]:
                    return index
            time.sleep(0.01)
        return None

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

        Every URL ccxt knows for Binance points at this daemon (``exchangesim.client.ccxt_config``),
        under ``urls``; ccxt deep-merges its constructor's argument into its own description, so
        ``ccxt.binance(exchangesim.ccxt_config(account))`` is all it takes. ``options`` are merged into
        ccxt's ``options``; ccxt's own pacing is off (``enableRateLimit``), so tests meet the daemon's.
        """
        from exchangesim.client import ccxt_config  # ccxt only for the tests that use it

        key = secret = None
        if account is not None:
            found = self._account(account)
            key, secret = found.api_key, found.api_secret
        return {**ccxt_config(self.base_url, key, secret, **options), "enableRateLimit": False}

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
        return account_in(self.accounts, account)

    def __repr__(self) -> str:
        return f"<Exchangesim {self.base_url} seed={self.seed}>"
