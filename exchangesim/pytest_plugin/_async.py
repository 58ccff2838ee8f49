"""The ``exchangesim_async`` fixture's handle: the daemon's handle for asyncio tests (pytest-asyncio,
anyio on asyncio), whose admin calls are awaited instead of blocking the event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from ..admin_client import Account, Admin

if TYPE_CHECKING:
    from exchangesim.client import ExchangeClient

    from ._handle import Exchangesim

__all__ = ["AsyncAdmin", "AsyncExchangesim"]


class AsyncAdmin:
    """Every method of ``Admin`` (``add_fault``, ``fund``, ``pause_market``, ...) as a coroutine; each
    runs the blocking call in a worker thread."""

    def __init__(self, admin: Admin) -> None:
        self.sync = admin

    def __getattr__(self, name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
        method = getattr(self.sync, name)
        if not callable(method):
            raise AttributeError(name)

        @functools.wraps(method)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return call


class AsyncExchangesim:
    """The ``exchangesim`` handle with ``await`` where it talks to the daemon: ``await
    new_account(...)``, ``await admin.add_fault(...)``, ``await faults_injected()``; the rest as is."""

    def __init__(self, handle: Exchangesim) -> None:
        self.sync = handle
        self.admin = AsyncAdmin(handle.admin)

    seed = property(lambda self: self.sync.seed)
    port = property(lambda self: self.sync.port)
    base_url = property(lambda self: self.sync.base_url)
    ws_url = property(lambda self: self.sync.ws_url)
    accounts = property(lambda self: self.sync.accounts)
    log = property(lambda self: self.sync.log)

    async def new_account(
        self, balances: Mapping[str, Any] | None = None, name: str | None = None
    ) -> Account:
        return await asyncio.to_thread(self.sync.new_account, balances, name)

    async def faults_injected(
        self, test_only: bool = True, include_control: bool = False
    ) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.sync.faults_injected, test_only, include_control)

    def client(self, account: Account | str | None = None, **options: Any) -> ExchangeClient:
        """An ``ExchangeClient`` for ``account``: ``async with exchangesim.client(account) as client``."""
        return self.sync.client(account, **options)

    def ccxt_config(self, account: Account | str | None = None, **options: Any) -> dict[str, Any]:
        """For ``ccxt.pro.binance(exchangesim.ccxt_config(account))`` (see the sync handle)."""
        return self.sync.ccxt_config(account, **options)

    def __repr__(self) -> str:
        return f"<AsyncExchangesim {self.base_url} seed={self.seed}>"
