"""What every client driver shares: the daemon it is pointed at, its scenarios, and its report.

A driver runs in its client's venv as ``python <driver> <scenario> <target>``, ``<target>`` the JSON
object ``{"base_url": ..., "keys": {"alice": [key, secret], "bob": [...]}}``, and prints one JSON object:
what the client returned at each step, for the test to assert on. A failure is a traceback on stderr
and a non-zero exit. Standard library only: it is imported from each client's venv.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SYMBOL = "BTCUSD"
PRICE = "50000.00"
"""Every trade of every scenario is at this price, so last price and average price stay put whatever
ran before on the same daemon."""
LOW_BID = "40000.00"
"""A bid far below ``PRICE``, which rests (and is canceled by the scenario that placed it)."""
WAIT = 10.0
"""Seconds a driver waits for a stream message before giving up."""


@dataclass(frozen=True)
class Target:
    """The daemon a driver talks to, and the accounts' API keys."""

    base_url: str
    keys: dict[str, tuple[str, str]]

    @property
    def ws_url(self) -> str:
        """The same host and port as ``ws://``."""
        return "ws" + self.base_url.removeprefix("http")


Scenario = Callable[[Target], Any]
"""A scenario returns the report, or a coroutine of it."""


def run(*scenarios: Scenario, setup: Callable[[Target], None] = lambda target: None) -> None:
    """The driver's entry point: ``setup`` the client for the target, run the scenario ``sys.argv``
    names (by its function's name) and print its report."""
    name, given = sys.argv[1], json.loads(sys.argv[2])
    keys = {account: (key, secret) for account, (key, secret) in given["keys"].items()}
    target = Target(given["base_url"], keys)
    setup(target)
    report = {scenario.__name__: scenario for scenario in scenarios}[name](target)
    if inspect.iscoroutine(report):
        report = asyncio.run(report)
    print(json.dumps(report))


def event_kind(payload: dict[str, Any]) -> str:
    """A stream payload's kind: its event type (``trade``, ...; ``executionReport <status>`` for an
    order's), or ``partialDepth`` for a partial book, which has none."""
    if "e" not in payload:
        return "partialDepth"
    return payload["e"] if payload["e"] != "executionReport" else f"executionReport {payload['X']}"


class Inbox:
    """Messages by kind, put from any thread (a client's reader thread or event loop), and a wait until
    each wanted kind has arrived (from a coroutine: ``await asyncio.to_thread(inbox.wait_for, ...)``)."""

    def __init__(self) -> None:
        self._messages: dict[str, list[Any]] = defaultdict(list)
        self._arrived = threading.Condition()

    def put(self, kind: str, message: Any) -> None:
        with self._arrived:
            self._messages[kind].append(message)
            self._arrived.notify_all()

    def wait_for(
        self, *kinds: str, where: Callable[[str, Any], bool] = lambda kind, message: True
    ) -> dict[str, Any]:
        """The first message of each of ``kinds`` that ``where`` accepts; TimeoutError after ``WAIT`` s."""

        def firsts() -> dict[str, Any]:
            found = {k: next((m for m in self._messages[k] if where(k, m)), None) for k in kinds}
            return {k: m for k, m in found.items() if m is not None}

        with self._arrived:
            if not self._arrived.wait_for(lambda: len(firsts()) == len(kinds), WAIT):
                missing = sorted(set(kinds) - set(firsts()))
                raise TimeoutError(f"no {missing} within {WAIT:g} s; got {dict(self._messages)}")
            return firsts()
