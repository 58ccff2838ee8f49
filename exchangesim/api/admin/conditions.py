"""Market conditions under ``/api/v1/admin/conditions``: list, add and remove them at run time.

A condition added here is scheduled from the market time of the request (its ``start`` counts from
there); it then starts and ends on the market's own schedule, as a ``[condition:NAME]`` section does.
``AdminAPI`` checks the admin token and the peer before any route here.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from klein import Klein
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from ...failures.audit import AuditLog
from ...marketdata.clock import MarketClock
from ...marketdata.conditions import ConditionError, ConditionSpec, MarketConditions, parse_condition
from ..errors import ApiError
from ..klein_errors import answer_errors_as_json
from ..requests import json_body
from ..responses import respond

__all__ = ["ConditionsAdmin"]

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class ConditionsAdmin:
    """The routes; the market's ``conditions`` (on the moving markets of ``symbols``) are what they act
    on, from the market time of ``clock``, and ``audit`` records each change."""

    app = Klein()
    answer_errors_as_json(app)

    def __init__(
        self,
        max_body_bytes: int,
        conditions: MarketConditions,
        symbols: Collection[str],
        clock: MarketClock,
        audit: AuditLog,
    ) -> None:
        self._max_body_bytes = max_body_bytes
        self._conditions = conditions
        self._symbols = symbols
        self._clock = clock
        self._audit = audit

    def resource(self) -> IResource:
        return self.app.resource()

    def taken(self, name: str) -> bool:
        """Whether a condition holds ``name``."""
        return name in self._conditions.specs

    def add(self, spec: ConditionSpec) -> dict[str, Any]:
        """Schedule ``spec`` from now and audit it (409 if its name is taken); what the market's flash
        crash control uses too."""
        self._refuse_taken(spec.name)
        now = self._clock.now_ms()
        self._conditions.add(spec, now)
        self._audit.control(now, "condition_added", **spec.describe())
        return {**spec.describe(), "active": False}  # it starts at the market's next event

    @app.route("/", methods=["GET"], strict_slashes=False)
    def list_conditions(self, request: IRequest) -> bytes:
        return respond(request, {"conditions": self._conditions.describe()})

    @app.route("/", methods=["POST"], strict_slashes=False)
    def add_condition(self, request: IRequest) -> bytes:
        """Add one condition: ``{"name": ..., "kind": ..., "symbol", "factor", "start", "duration",
        "period"}``; 409 if the name is taken."""
        body = json_body(request, self._max_body_bytes)
        name = body.pop("name", None)
        if not isinstance(name, str) or not _NAME.match(name):
            raise ApiError(400, "INVALID_PARAMETER", "name the condition: 1-64 of [A-Za-z0-9_.-]", "name")
        self._refuse_taken(name)  # a taken name is the answer, whatever the rest of the body says
        raw = {key: str(value) if isinstance(value, Decimal) else value for key, value in body.items()}
        try:
            spec = parse_condition(name, raw, self._symbols)
        except ConditionError as error:
            key, reason = error.problems[0]
            problems = [{"field": key, "reason": reason} for key, reason in error.problems]
            raise ApiError(400, "INVALID_CONDITION", f"{key}: {reason}", key, problems=problems) from None
        return respond(request, self.add(spec), 201)

    @app.route("/<name>", methods=["DELETE"])
    def remove_condition(self, request: IRequest, name: str) -> bytes:
        """End a condition now (what it changed goes back) and forget it."""
        if name not in self._conditions.specs:
            raise ApiError(404, "NOT_FOUND", f"no condition {name!r}", "name")
        now = self._clock.now_ms()
        self._conditions.remove(name, now)
        self._audit.control(now, "condition_removed", condition=name)
        return respond(request, {"removed": name})

    def _refuse_taken(self, name: str) -> None:
        if self.taken(name):
            raise ApiError(409, "DUPLICATE_CONDITION", f"condition {name!r} exists", "name")
