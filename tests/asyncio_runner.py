"""Running ``async def`` tests of asyncio code (the client) from plain pytest functions."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

GUARD_SECONDS = 30.0


def asyncio_test(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test in a fresh event loop, failing it if it takes longer than the guard."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), GUARD_SECONDS))

    return run
