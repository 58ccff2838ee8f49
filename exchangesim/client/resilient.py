"""``ResilientClient``: an ``ExchangeClient`` that backs off and retries refused requests and reconciles
orders whose acknowledgement was lost, noting every fault it meets in its ``Observations``."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from ._client import API_PREFIX, ExchangeClient
from ._wire import new_client_order_id
from .errors import (
    DuplicateClientOrderId,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
)
from .observations import Observations

__all__ = ["RETRIED_STATUSES", "ResilientClient"]

RETRIED_STATUSES = {429: "throttled", 502: "unavailable", 503: "unavailable", 504: "unavailable"}
"""Statuses answered before anything happened (or safe to repeat), retried after a wait; their kind."""
PROTECTIVE_LIMIT = "RATE_LIMITED"
"""The code of a 429 from the venue's per-key request limit ([server] request_rate_limit)."""


class ResilientClient(ExchangeClient):
    """Retries 429 and 502-504 answers up to ``max_attempts`` times: it waits the server's Retry-After
    when given, else an exponential backoff from ``base_delay`` (doubling, with jitter, at most
    ``max_delay``; ``sleep`` waits, the test seam). ``place_order`` never places an order twice: a lost
    answer is settled by asking for the order by its client order id, and a request that never reached
    the engine is sent again."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        api_secret: str | None = None,
        timeout: float | None = 10.0,
        *,
        observations: Observations,
        max_attempts: int = 10,
        base_delay: float = 0.05,
        max_delay: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(base_url, api_key, api_secret, timeout)
        self.observations = observations
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._jitter = random.Random()
        self._sleep = sleep

    async def place_order(
        self, *args: Any, client_order_id: str | None = None, **options: Any
    ) -> dict[str, Any]:
        """``ExchangeClient.place_order``, placing the order exactly once whatever happens to the request
        or its answer."""
        client_order_id = client_order_id or new_client_order_id()
        for _ in range(self.max_attempts):
            try:
                return await super().place_order(*args, client_order_id=client_order_id, **options)
            except DuplicateClientOrderId:
                # Our ids are fresh, so an earlier attempt of ours reached the engine (a 5xx after it).
                return await self.get_order_by_client_id(client_order_id)
            except TransportError as error:
                try:
                    order = await self.get_order_by_client_id(client_order_id)
                except NotFound:
                    self.observations.note("lost_request", client_order_id)
                    continue  # the engine never saw it: send it again, same client order id
                if not isinstance(error, InvalidResponse):
                    self.observations.note("lost_ack", client_order_id)
                return order
        raise TransportError(f"order {client_order_id} was lost {self.max_attempts} times in a row")

    async def _request(
        self, method: str, path: str, query: dict[str, Any] | None = None, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        for attempt in range(self.max_attempts):
            try:
                return await super()._request(method, path, query, body)
            except (RateLimited, ServerError) as error:
                kind = RETRIED_STATUSES.get(error.status or 0)
                if kind is None:
                    raise
                if error.code == PROTECTIVE_LIMIT:  # the venue's own limit, not an injected fault
                    self.observations.rate_limited += 1
                else:
                    self.observations.note(kind, f"{method} {API_PREFIX}{path}")
                if attempt + 1 == self.max_attempts:
                    raise
                await self._back_off(attempt, error)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _back_off(self, attempt: int, error: RateLimited | ServerError) -> None:
        backoff = min(self.max_delay, self.base_delay * 2**attempt) * self._jitter.uniform(0.5, 1.0)
        retry_after = error.retry_after
        wait = max(backoff, retry_after or 0.0)  # never sooner than the server asked
        await self._sleep(wait)
        self.observations.retries += 1
        self.observations.waited_s += wait
