"""The guard every admin request passes first: the admin token, from loopback unless allowed."""

from __future__ import annotations

import attrs
from twisted.web.iweb import IRequest

from ..auth import require_admin

__all__ = ["AdminGuard"]


@attrs.frozen
class AdminGuard:
    """``token`` is the admin token; ``allow_remote`` accepts it from other hosts than loopback
    ([server] admin_allow_remote); ``max_body_bytes`` bounds the JSON body of a request it let in."""

    token: str = attrs.field(repr=False)
    allow_remote: bool
    max_body_bytes: int

    def authorize(self, request: IRequest) -> None:
        """Refuse ``request`` unless it carries the admin token (and comes from loopback, unless allowed)."""
        require_admin(request, self.token, self.allow_remote)
