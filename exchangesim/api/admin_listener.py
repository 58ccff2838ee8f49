"""``[server] admin_endpoint``: the admin API and health on a listener of their own that no fault touches
(no tcp wrapper, no rest faults, no rate limit), so the operator always has a way in, even while a
tcp stall or an outage silences the main port (Toxiproxy keeps its API apart for the same reason)."""

from __future__ import annotations

from typing import Any

from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource

from .responses import error_payload, respond

__all__ = ["AdminOnly"]


class AdminOnly(Resource):
    """The whole tree of the admin listener: ``/api/v1/admin/...`` and ``/api/v1/health`` go to the
    native API's routes (which check the admin token and peer as on the main port); the rest is 404."""

    isLeaf = True

    def __init__(self, native_api: IResource) -> None:
        super().__init__()
        self._native_api = native_api

    def render(self, request: IRequest) -> Any:
        segments = request.postpath  # percent-decoded, as the routes read them
        if segments[:2] == [b"api", b"v1"] and (segments[2:] == [b"health"] or segments[2:3] == [b"admin"]):
            request.prepath = [*request.prepath, b"api", b"v1"]  # where the native API is mounted
            request.postpath = segments[2:]
            return self._native_api.render(request)
        message = "the admin endpoint serves /api/v1/admin/... and /api/v1/health only"
        return respond(request, error_payload("NOT_FOUND", message, "path"), 404)
