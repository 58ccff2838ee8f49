"""The guard every admin route passes first: the admin token, from loopback unless allowed."""

from __future__ import annotations

from typing import Any

from twisted.web.iweb import IRequest

from ...venue import Venue
from ..auth import require_admin
from ..requests import json_body

__all__ = ["admin_body", "authorize_admin"]


def authorize_admin(venue: Venue, request: IRequest) -> None:
    """Refuse ``request`` unless it carries the admin token (and comes from loopback, unless allowed)."""
    require_admin(request, venue.admin_token, venue.config.server.admin_allow_remote)


def admin_body(venue: Venue, request: IRequest) -> dict[str, Any]:
    """The JSON body of an admin request, once the request passed the guard."""
    authorize_admin(venue, request)
    return json_body(request, venue.config.server.max_body_bytes)
