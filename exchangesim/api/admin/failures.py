"""Fault control under ``/api/v1/admin/failures``: list, add, replace, change and remove faults, apply a
whole set atomically, halt and resume, clear header faults, list and kill connections, read the audit,
list the modes.

``AdminAPI`` checks the admin token and the peer before any route here; a fault is parsed whole before
anything changes, so a refused request leaves the faults as they were. A change is answered first, then
applied to the connection the request came on (a tcp outage it installs resets that connection after
its answer has left, not before).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from klein import Klein
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from ...failures.controller import FaultController
from ...failures.registry import mode_for, mode_names
from ...failures.spec import FaultSpec, FaultSpecError
from ...marketdata.clock import MarketClock
from ..errors import ApiError
from ..klein_errors import answer_errors_as_json
from ..requests import check_fields, json_body, query_int
from ..responses import respond

__all__ = ["FailuresAdmin"]


class FailuresAdmin:
    """The routes; ``faults`` is the controller they act on, and its audit records each change at the
    market time of ``clock``."""

    app = Klein()
    answer_errors_as_json(app)

    def __init__(self, max_body_bytes: int, faults: FaultController, clock: MarketClock) -> None:
        self._max_body_bytes = max_body_bytes
        self._faults = faults
        self._clock = clock

    def resource(self) -> IResource:
        return self.app.resource()

    # -- the set of faults ---------------------------------------------------------------------------
    @app.route("/", methods=["GET"], strict_slashes=False)
    def list_faults(self, request: IRequest) -> bytes:
        return respond(request, self._faults.describe())

    @app.route("/", methods=["POST"], strict_slashes=False)
    def add_fault(self, request: IRequest) -> bytes:
        """Add one fault: ``{"name": ..., "mode": ..., <keys>}``; 409 if the name is taken."""
        body = json_body(request, self._max_body_bytes)
        name = body.pop("name", None)
        if not isinstance(name, str):
            raise ApiError(400, "INVALID_PARAMETER", "name the fault: a string of [A-Za-z0-9_.-]", "name")
        if name in self._faults.faults:
            raise ApiError(
                409, "DUPLICATE_FAULT", f"fault {name!r} exists; PUT or PATCH it to change it", "name"
            )
        spec = self._parse(name, body)
        self._make_room(1)
        self._spare(request)
        self._faults.put(spec)
        self._control("fault_added", fault_name=name)
        return respond(request, self._faults.describe_fault(self._faults.faults[name]), 201)

    @app.route("/", methods=["PUT"], strict_slashes=False)
    def apply_faults(self, request: IRequest) -> bytes:
        """Replace every fault with ``{"faults": {name: {keys}}}``, all or nothing."""
        body = json_body(request, self._max_body_bytes)
        check_fields(body, ("faults",), required=("faults",))
        faults = body["faults"]
        if not isinstance(faults, dict):
            raise ApiError(400, "INVALID_PARAMETER", "faults must be an object of name: {keys}", "faults")
        specs, problems = [], []
        for name, keys in faults.items():
            if not isinstance(keys, dict):
                problems.append({"fault": name, "field": None, "message": "must be an object of keys"})
                continue
            try:
                specs.append(self._faults.parse(name, _plain(keys)))
            except FaultSpecError as error:
                problems += [
                    {"fault": name, "field": key, "message": reason} for key, reason in error.problems
                ]
        if problems:
            first = problems[0]
            message = (
                f"{len(problems)} problem(s), nothing applied; first: {first['fault']}: {first['message']}"
            )
            raise ApiError(400, "INVALID_FAULT", message, "faults", problems=problems)
        if len(specs) > self._faults.settings.max_active_faults:
            raise ApiError(409, "TOO_MANY_FAULTS", "more faults than [failures] max_active_faults", "faults")
        self._spare(request)
        self._faults.apply(specs)
        self._control("faults_applied", faults=[spec.name for spec in specs])
        return respond(request, self._faults.describe())

    @app.route("/halt", methods=["POST"])
    def halt(self, request: IRequest) -> bytes:
        """Stop every fault at once; what they hold goes on, in order."""
        self._faults.halt()
        self._control("faults_halted")
        return respond(request, self._faults.describe())

    @app.route("/resume", methods=["POST"])
    def resume(self, request: IRequest) -> bytes:
        self._spare(request)
        self._faults.resume()
        self._control("faults_resumed")
        return respond(request, self._faults.describe())

    @app.route("/modes", methods=["GET"])
    def modes(self, request: IRequest) -> bytes:
        """The installed failure modes with their layers, stages and parameters."""
        modes = []
        for name in mode_names():
            try:
                mode = mode_for(name)
            except LookupError as error:
                modes.append({"name": name, "error": str(error)})
                continue
            modes.append(
                {
                    "name": mode.name,
                    "description": mode.description,
                    "layers": list(mode.layers),
                    "stages": list(mode.stages),
                    "parameters": [parameter.describe() for parameter in mode.parameters],
                }
            )
        return respond(request, {"modes": modes})

    # -- faults from X-Sim-Fault-* headers --------------------------------------------------------------
    @app.route("/headers", methods=["DELETE"])
    def clear_header_faults(self, request: IRequest) -> bytes:
        """End every open header fault: its request goes on (delay, stall) or is closed (drop) at once."""
        return self._clear_headers(request, None)

    @app.route("/headers/<name>", methods=["DELETE"])
    def clear_header_fault(self, request: IRequest, name: str) -> bytes:
        if name not in self._faults.header_active:
            known = ", ".join(self._faults.header_active) or "none"
            raise ApiError(404, "UNKNOWN_FAULT", f"no open header fault {name!r}; open: {known}", "name")
        return self._clear_headers(request, [name])

    def _clear_headers(self, request: IRequest, names: list[str] | None) -> bytes:
        cleared = self._faults.clear_header_faults(names)
        self._control("header_faults_cleared", faults=cleared)
        return respond(request, {"cleared": cleared})

    # -- connections and the audit -------------------------------------------------------------------
    @app.route("/connections", methods=["GET"])
    def connections(self, request: IRequest) -> bytes:
        listed = [connection.describe_json() for connection in self._faults.connections.values()]
        return respond(request, {"connections": listed})

    @app.route("/connections/<connection_id>", methods=["DELETE"])
    def kill(self, request: IRequest, connection_id: str) -> bytes:
        """Reset a connection (``ws-3``, ``tcp-7``): it ends at once, without a close handshake."""
        connection = self._faults.connections.get(connection_id)
        if connection is None:
            raise ApiError(
                404, "UNKNOWN_CONNECTION", f"no open connection {connection_id!r}", "connection_id"
            )
        connection.abort()
        self._control("connection_killed", connection=connection_id)
        return respond(request, {"killed": connection_id})

    @app.route("/events", methods=["GET"])
    def events(self, request: IRequest) -> bytes:
        """Audit events after ``after`` (an ``audit_seq``), oldest first, at most ``limit``."""
        after = query_int(request, "after", default=0, low=0, high=2**62)
        limit = query_int(request, "limit", default=1000, low=1, high=10_000)
        return respond(request, {"events": self._faults.audit.since(after, limit)})

    # -- one fault -----------------------------------------------------------------------------------
    @app.route("/<name>", methods=["GET"])
    def get_fault(self, request: IRequest, name: str) -> bytes:
        return respond(request, self._faults.describe_fault(self._fault(name)))

    @app.route("/<name>", methods=["PUT"])
    def put_fault(self, request: IRequest, name: str) -> bytes:
        """Create or replace a fault with exactly these keys (what the old one held is released)."""
        body = json_body(request, self._max_body_bytes)
        spec = self._parse(name, body)
        created = name not in self._faults.faults
        if created:
            self._make_room(1)
        self._spare(request)
        self._faults.put(spec)
        self._control("fault_added" if created else "fault_replaced", fault_name=name)
        return respond(
            request, self._faults.describe_fault(self._faults.faults[name]), 201 if created else 200
        )

    @app.route("/<name>", methods=["PATCH"])
    def patch_fault(self, request: IRequest, name: str) -> bytes:
        """Change some keys of a fault (``null`` removes a key, back to its default). The fault goes on
        (hits, counts, random streams, schedule) unless a key that says what it is changed; the
        audit's ``restarted`` names those keys."""
        body = json_body(request, self._max_body_bytes)
        given = dict(self._fault(name).spec.given)
        for key, value in body.items():
            if value is None:
                given.pop(key, None)
            else:
                given[key] = value
        spec = self._parse(name, given)
        self._spare(request)
        restarted = self._faults.update(spec)
        self._control("fault_changed", fault_name=name, changes=sorted(body), restarted=restarted)
        return respond(request, self._faults.describe_fault(self._faults.faults[name]))

    @app.route("/<name>", methods=["DELETE"])
    def remove_fault(self, request: IRequest, name: str) -> bytes:
        """Remove a fault; what it held is delivered, in order."""
        released = self._faults.held_by(self._fault(name))
        self._faults.remove(name)
        self._control("fault_removed", fault_name=name, released=released)
        return respond(request, {"removed": name, "released": released})

    # -- helpers -------------------------------------------------------------------------------------
    def _fault(self, name: str):
        fault = self._faults.faults.get(name)
        if fault is None:
            known = ", ".join(self._faults.faults) or "none"
            raise ApiError(404, "UNKNOWN_FAULT", f"no fault {name!r}; faults: {known}", "name")
        return fault

    def _parse(self, name: str, keys: dict[str, Any]) -> FaultSpec:
        try:
            return self._faults.parse(name, _plain(keys))
        except FaultSpecError as error:
            problems = [{"field": key, "message": reason} for key, reason in error.problems]
            raise ApiError(
                400, "INVALID_FAULT", str(error), error.problems[0][0] or "name", problems=problems
            ) from None

    def _spare(self, request: IRequest) -> None:
        """Apply the change to the request's own tcp connection only on the next reactor turn, once
        its answer is on the way."""
        peer = request.getClientAddress()
        host, port = getattr(peer, "host", None), getattr(peer, "port", None)
        if host is not None and port is not None:
            self._faults.spare(host, port)

    def _make_room(self, added: int) -> None:
        if not self._faults.room_for(added):
            limit = self._faults.settings.max_active_faults
            raise ApiError(
                409, "TOO_MANY_FAULTS", f"{limit} faults are active ([failures] max_active_faults)", "name"
            )

    def _control(self, action: str, **detail: Any) -> None:
        self._faults.audit.control(self._clock.now_ms(), action, **detail)


def _plain(keys: dict[str, Any]) -> dict[str, Any]:
    """JSON numbers (Decimals here) as their text, which every parameter kind reads exactly."""
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in keys.items()}
