"""What a scenario is: a named coroutine over ``ExchangeClient`` with the fault kinds it is paired with,
and the context it runs in (the daemon, the symbol, an account, the faults the active profile injects)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from ..observations import Observations
from ..resilient import ResilientClient

__all__ = ["Scenario", "ScenarioCheckError", "ScenarioContext", "check"]

Figures = dict[str, Any]


class ScenarioCheckError(AssertionError):
    """A scenario's own check failed; the message says what was expected and what came."""


def check(condition: object, message: str) -> None:
    """Fail the scenario with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ScenarioCheckError(message)


@attrs.frozen
class ScenarioContext:
    """Where a scenario runs and what it may expect; ``client()`` makes a client for its account."""

    base_url: str
    symbol: str
    api_key: str | None = None
    api_secret: str | None = None
    expected: frozenset[str] = frozenset()  # the fault kinds the active profile injects
    orders: int = 200  # rapid-orders: how many
    wait: float = 10.0  # seconds for any one response or message
    patience: float = 20.0  # seconds to wait for an expected fault to show

    def client(self, observations: Observations) -> ResilientClient:
        return ResilientClient(
            self.base_url, self.api_key, self.api_secret, self.wait, observations=observations
        )


@attrs.frozen
class Scenario:
    """A built-in scenario: ``run(context, observations)`` returns its figures or raises."""

    name: str
    summary: str
    run: Callable[[ScenarioContext, Observations], Awaitable[Figures]]
    pairs_with: tuple[str, ...] = ()  # fault kinds it must observe when the profile injects them
