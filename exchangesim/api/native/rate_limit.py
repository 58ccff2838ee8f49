"""The shared per-key request limit on ``/api/v1``: each request weighs 1, charged to the API key it
authenticates with (else to its address); past the limit, 429."""

from __future__ import annotations

from typing import Any

from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource

from ..auth import Authenticator
from ..errors import ApiError
from ..ratelimit import ALLOWED, WeightLimiter
from ..responses import respond

__all__ = ["RateLimitedResource"]

REQUEST_WEIGHT = 1


class RateLimitedResource(Resource):
    """Charges every request under it to the venue's limiter; paths under ``exempt`` (admin) are free."""

    isLeaf = True

    def __init__(
        self,
        inner: IResource,
        limiter: WeightLimiter,
        authenticator: Authenticator,
        exempt: tuple[bytes, ...] = (),
    ) -> None:
        super().__init__()
        self._inner = inner
        self._limiter = limiter
        self._authenticator = authenticator
        self._exempt = exempt

    def render(self, request: IRequest) -> Any:
        if not request.path.startswith(self._exempt):
            spent = self._limiter.charge(request.getClientAddress(), REQUEST_WEIGHT, self._key_of(request))
            if spent.verdict != ALLOWED:
                request.setHeader(b"retry-after", b"%d" % spent.retry_after)
                error = ApiError(
                    429,
                    "RATE_LIMITED",
                    f"more than {self._limiter.limit} requests this minute from this key (or address);"
                    f" retry in {spent.retry_after} s",
                    limit="request_rate_limit",
                    retry_after=spent.retry_after,
                )
                return respond(request, error.payload(), error.status)
        return self._inner.render(request)

    def _key_of(self, request: IRequest) -> str | None:
        """The API key ``request`` authenticates with (None: anonymous, or credentials that fail); the
        route acting on it does not compute its signature again (see ``Authenticator``)."""
        header = request.getHeader(b"x-api-key")
        if header is None:
            return None
        try:
            self._authenticator.authenticate(request)
        except ApiError:
            return None
        return header.decode("utf-8", "replace")
