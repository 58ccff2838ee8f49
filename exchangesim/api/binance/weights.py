"""Request weights of ``/api/v3`` (roughly Binance's), charged to the shared limiter per key."""

from __future__ import annotations

from twisted.web.iweb import IRequest

from ..ratelimit import ALLOWED, BANNED, Charge, WeightLimiter
from .errors import BinanceError

__all__ = ["charge", "depth_weight", "refusal", "tickers_weight"]

USED_WEIGHT_HEADER = b"x-mbx-used-weight-1m"


def depth_weight(limit: int) -> int:
    """Weight of GET /depth by its limit."""
    for most, weight in ((100, 5), (500, 25), (1000, 50)):
        if limit <= most:
            return weight
    return 250


def tickers_weight(count: int | None, one: int, every: int) -> int:
    """Weight of a ticker endpoint for ``count`` symbols (None: all of them)."""
    if count is None:
        return every
    return one if count <= 20 else min(every, one * 20)


def charge(request: IRequest, limiter: WeightLimiter, weight: int, key: str | None = None) -> None:
    """Spend ``weight`` for ``key``, the API key a signed request was verified with (else for the
    request's address); 429, then 418, past the limit."""
    spent = limiter.charge(request.getClientAddress(), weight, key)
    request.setHeader(USED_WEIGHT_HEADER, b"%d" % spent.used)
    error = refusal(spent, limiter.limit)
    if error is not None:
        request.setHeader(b"retry-after", b"%d" % spent.retry_after)
        raise error


def refusal(spent: Charge, limit: int) -> BinanceError | None:
    """The error a charge past the limit answers (429, then 418 until the minute ends); None if allowed."""
    if spent.verdict == ALLOWED:
        return None
    if spent.verdict == BANNED:
        return BinanceError(
            418, -1003, f"Way too much request weight used; banned for {spent.retry_after} s after a 429."
        )
    return BinanceError(
        429,
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per 1 MINUTE."
        " Please use WebSocket Streams for live updates to avoid polling the API.",
    )
