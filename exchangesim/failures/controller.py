"""The faults of a running daemon: installed from the configuration, changed at run time through the
admin API, halted and resumed as a whole, and applied to every connection and request as they change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.web.iweb import IRequest

from ..config import FailuresConfig
from .answers import FaultError, FaultRefusedError
from .audit import AuditLog
from .connections import FaultyConnection
from .fault import Fault, Scope
from .interface import IFailureMode
from .registry import mode_for
from .requests import RequestEffect, RestCall
from .spec import FaultSpec, FaultSpecError, parse_fault, restarted_by

__all__ = ["FaultController", "RestFault"]

RestFault = tuple[Fault, Scope, RequestEffect]
HEADER_PREFIX = "x-sim-fault-"


class FaultController:
    """Every fault of the daemon and every connection they act on; the one place faults change."""

    log = Logger()

    def __init__(
        self,
        settings: FailuresConfig,
        clock: IReactorTime,
        seed: int,
        lookup: Callable[[str], IFailureMode] = mode_for,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.seed = seed
        self.audit = AuditLog(settings.audit_file, settings.audit_max_bytes)
        self.halted = not settings.enabled
        self.header_control = settings.allow_header_control
        self.faults: dict[str, Fault] = {}
        self.rest_faults: list[RestFault] = []
        self.header_active: dict[str, HeaderFault] = {}
        """Faults from X-Sim-Fault-* headers whose request is still open, by name."""
        self.connections: dict[str, FaultyConnection] = {}
        self._lookup = lookup
        self._accepted: Counter[str] = Counter()
        self._timers: dict[Fault, IDelayedCall] = {}
        self._holds: dict[Fault, dict[Deferred[None], IDelayedCall]] = {}
        self._spared: dict[str, IDelayedCall] = {}
        """Connections left out of fault changes until the next reactor turn, by id (see ``spare``)."""
        self._header_requests = 0

    # -- the set of faults ---------------------------------------------------------------------------
    def parse(self, name: str, raw: dict[str, Any]) -> FaultSpec:
        """A fault spec from admin JSON or INI keys; ``FaultSpecError`` lists every problem."""
        return parse_fault(name, raw, self._lookup, self.settings.max_fault_duration * 1000.0)

    def apply(self, specs: Iterable[FaultSpec]) -> None:
        """Replace every fault with ``specs`` at once (already parsed, so nothing can half-apply)."""
        for fault in self.faults.values():
            fault.retire()
        self.faults = {spec.name: self._fault(spec) for spec in specs}
        self._changed()

    def put(self, spec: FaultSpec) -> None:
        """Add a fault, or replace the one of that name (what it held is released, in order)."""
        replaced = self.faults.get(spec.name)
        if replaced is not None:
            replaced.retire()
        self.faults[spec.name] = self._fault(spec)
        self._changed()

    def update(self, spec: FaultSpec) -> list[str]:
        """Change the fault of ``spec``'s name to ``spec`` (a PATCH). When no key that says what the
        fault is changed (``restarted_by``: its mode, layers, stage, direction, targeting, schedule,
        and the mode's own such keys) it goes on with its hits, trigger counts, random streams,
        schedule and what it holds, acting with the new values from the next message or request;
        otherwise it is replaced as ``put`` does. Returns the keys that started it over."""
        fault = self.faults.get(spec.name)
        restarted = ["mode"] if fault is None else restarted_by(fault.spec, spec, fault.mode)
        if restarted:
            self.put(spec)
            return restarted
        previous = fault.spec
        fault.retune(spec)
        effects = [effect for connection in self.connections.values() for effect in connection.effects()]
        effects += [effect for _, _, effect in self.rest_faults]
        for effect in effects:
            retune = getattr(effect, "retune", None)  # a plugin's RequestEffect may not have one
            if effect.fault is fault and retune is not None:
                retune(previous)
        self._changed()
        return []

    def remove(self, name: str) -> None:
        """Remove a fault; what it held goes on, in order."""
        self.faults.pop(name).retire()
        self._changed()

    def halt(self) -> None:
        """Stop every fault at once, header faults too (what they hold goes on); ``resume`` brings the
        configured ones back."""
        self.halted = True
        self.clear_header_faults()
        self._changed()

    def resume(self) -> None:
        self.halted = False
        self._changed()

    def room_for(self, added: int) -> bool:
        """Whether ``added`` more faults stay within ``[failures] max_active_faults`` (header faults have
        a bound of their own, so clients sending them cannot lock the operator out)."""
        return len(self.faults) + added <= self.settings.max_active_faults

    def _fault(self, spec: FaultSpec) -> Fault:
        return Fault(spec, self._lookup(spec.mode), self.clock, self.seed, self.audit)

    def _active(self, layer: str) -> list[Fault]:
        if self.halted:
            return []
        return [fault for fault in self.faults.values() if layer in fault.spec.layers]

    def _changed(self) -> None:
        kept = {fault: (scope, effect) for fault, scope, effect in self.rest_faults}
        self.rest_faults = [
            (fault, *(kept.get(fault) or self._rest_effect(fault))) for fault in self._active("rest")
        ]
        for connection in self.connections.values():
            if connection.id not in self._spared:
                connection.rebuild(self._active(connection.layer))
        for fault in [fault for fault in self._holds if fault.retired or self.halted]:
            self._release(fault)
        self._watch_schedules()

    def _rest_effect(self, fault: Fault) -> tuple[Scope, RequestEffect]:
        scope = Scope(fault, "rest", "rest", RestCall.fields)
        return scope, fault.mode.request_effect(fault, scope)

    # -- requests held by rest verdicts ----------------------------------------------------------------
    def hold(self, fault: Fault, seconds: float | None) -> Deferred[None]:
        """Fires after ``seconds`` (None, or longer than ``[failures] max_fault_duration``: that long),
        or at once when ``fault`` stops acting (removed, replaced, halted, cleared): a rest delay, stall
        or drop holds its request no longer than its fault lasts."""
        if fault.retired or self.halted:
            return succeed(None)
        bound = fault.spec.max_duration_ms / 1000
        seconds = bound if seconds is None else min(seconds, bound)
        waiting: Deferred[None] = Deferred()
        holds = self._holds.setdefault(fault, {})
        holds[waiting] = self.clock.callLater(seconds, self._held_enough, fault, waiting)
        return waiting

    def _held_enough(self, fault: Fault, waiting: Deferred[None]) -> None:
        holds = self._holds.get(fault, {})
        holds.pop(waiting, None)
        if not holds:
            self._holds.pop(fault, None)
        waiting.callback(None)

    def _release(self, fault: Fault) -> None:
        for waiting, timer in self._holds.pop(fault, {}).items():
            if timer.active():
                timer.cancel()
            waiting.callback(None)

    # -- schedules -----------------------------------------------------------------------------------
    def _watch_schedules(self) -> None:
        """Wake the effects of each fault when its schedule starts or stops it."""
        for timer in self._timers.values():
            if timer.active():
                timer.cancel()
        self._timers.clear()
        if self.halted:
            return
        for fault in self.faults.values():
            self._arm(fault)

    def _arm(self, fault: Fault) -> None:
        wait = fault.until_change()
        if wait is not None:
            self._timers[fault] = self.clock.callLater(wait, self._schedule_turned, fault)

    def _schedule_turned(self, fault: Fault) -> None:
        del self._timers[fault]
        live = fault.live()
        for connection in list(self.connections.values()):
            for effect in connection.effects():
                if effect.fault is fault:
                    effect.schedule_changed(live)
        if self.faults.get(fault.name) is fault:
            self._arm(fault)

    # -- connections ---------------------------------------------------------------------------------
    def connect(self, connection: FaultyConnection) -> None:
        """Number a new connection on its layer and chain the faults that target it."""
        self._accepted[connection.layer] += 1
        connection.ordinal = self._accepted[connection.layer]
        connection.id = f"{connection.layer}-{connection.ordinal}"
        self.connections[connection.id] = connection
        connection.rebuild(self._active(connection.layer))

    def spare(self, host: str, port: int) -> None:
        """Leave the tcp connection from ``host``:``port`` out of fault changes until the next reactor
        turn, so that an admin request's answer leaves on it before a tcp fault the request installs
        (an outage, a stall) resets or holds the connection it came on: answer first, then apply."""
        peer = f"{host}:{port}"
        for connection in self.connections.values():
            if connection.layer == "tcp" and connection.peer == peer and connection.id not in self._spared:
                self._spared[connection.id] = self.clock.callLater(0, self._unspare, connection.id)

    def _unspare(self, connection_id: str) -> None:
        del self._spared[connection_id]
        connection = self.connections.get(connection_id)
        if connection is not None:
            connection.rebuild(self._active(connection.layer))

    def disconnect(self, connection: FaultyConnection) -> None:
        self.connections.pop(connection.id, None)
        connection.stop()

    # -- per-request faults from headers -------------------------------------------------------------
    def header_faults(self, request: IRequest) -> list[RestFault]:
        """A one-request fault from ``X-Sim-Fault-*`` headers (only with allow_header_control); at most
        ``[failures] max_header_faults`` at once, each listed in ``header_active`` while its request is
        open. A bad header, or one header fault too many, raises ``FaultRefusedError``."""
        if not self.header_control or self.halted:
            return []
        raw = {
            name.decode("latin-1").lower()[len(HEADER_PREFIX) :].replace("-", "_"): values[-1].decode(
                "latin-1"
            )
            for name, values in request.requestHeaders.getAllRawHeaders()
            if name.decode("latin-1").lower().startswith(HEADER_PREFIX)
        }
        if not raw:
            return []
        limit = self.settings.max_header_faults
        if len(self.header_active) >= limit:
            raise FaultRefusedError(
                FaultError(
                    429,
                    "TOO_MANY_FAULTS",
                    f"{limit} header faults are open ([failures] max_header_faults); try again",
                    "x-sim-fault-mode",
                )
            )
        raw["layer"] = "rest"
        self._header_requests += 1
        try:
            spec = self.parse(f"header-{self._header_requests}", raw)
        except FaultSpecError as error:
            key = error.problems[0][0]
            key = "mode" if key in (None, "layer") else key  # the layer is always rest: the mode is wrong
            field = HEADER_PREFIX + key.replace("_", "-")
            raise FaultRefusedError(FaultError(400, "INVALID_FAULT_HEADER", str(error), field)) from None
        fault = self._fault(spec)
        fault.counted_as = "header"  # one label in /metrics for them all, not one per request
        header = HeaderFault(fault, request, int(self.clock.seconds() * 1000))
        self.header_active[fault.name] = header
        self.audit.control(
            header.since,
            "header_fault_added",
            fault_name=fault.name,
            given=dict(spec.given),
            **header.origin(),
        )
        request.notifyFinish().addBoth(self._header_fault_done, fault.name)
        return [(fault, *self._rest_effect(fault))]

    def _header_fault_done(self, result: object, name: str) -> None:
        # Its request is answered or its client gone: a hold left (the client went away) runs out as it
        # would have, since releasing it here would serve the request before it is known to be gone.
        self.header_active.pop(name, None)

    def clear_header_faults(self, names: Iterable[str] | None = None) -> list[str]:
        """End header faults (all, or those named) before their requests do: they act no more, and a
        request one holds goes on (delay, stall) or is closed (drop) at once. The names cleared."""
        cleared = list(self.header_active) if names is None else [n for n in names if n in self.header_active]
        for name in cleared:
            header = self.header_active.pop(name)
            header.fault.retire()
            self._release(header.fault)
        return cleared

    # -- reports -------------------------------------------------------------------------------------
    def held_by(self, fault: Fault) -> int:
        """Messages ``fault`` holds back across every connection, and requests it holds."""
        return len(self._holds.get(fault, ())) + sum(
            effect.held
            for connection in self.connections.values()
            for effect in connection.effects()
            if effect.fault is fault
        )

    def describe(self) -> dict[str, Any]:
        return {
            "enabled": not self.halted,
            "seed": self.seed,
            "allow_header_control": self.header_control,
            "max_active_faults": self.settings.max_active_faults,
            "max_header_faults": self.settings.max_header_faults,
            "max_fault_duration": self.settings.max_fault_duration,
            "faults": [self.describe_fault(fault) for fault in self.faults.values()],
            "header_faults": [self.describe_header_fault(header) for header in self.header_active.values()],
        }

    def describe_fault(self, fault: Fault) -> dict[str, Any]:
        return {
            **fault.spec.describe(),
            "live": fault.live() and not self.halted,
            "hits": fault.hits,
            "held": self.held_by(fault),
        }

    def describe_header_fault(self, header: HeaderFault) -> dict[str, Any]:
        fault = header.fault
        return {
            **fault.spec.describe(),
            **header.origin(),
            "live": fault.live(),
            "hits": fault.hits,
            "held": self.held_by(fault),
        }

    def start(self) -> None:
        self.audit.open()
        self.log.info(
            "fault injection {state}: {count} fault(s), seed {seed}",
            state="halted" if self.halted else "enabled",
            count=len(self.faults),
            seed=self.seed,
        )

    def stop(self) -> None:
        for timer in [*self._timers.values(), *self._spared.values()]:
            if timer.active():
                timer.cancel()
        self._timers.clear()
        self._spared.clear()
        for holds in self._holds.values():  # the daemon stops: what they hold is not served any more
            for timer in holds.values():
                if timer.active():
                    timer.cancel()
        self._holds.clear()
        self.audit.close()


class HeaderFault:
    """A fault from one request's ``X-Sim-Fault-*`` headers, and that request (listed while open)."""

    __slots__ = ("fault", "request", "since")

    def __init__(self, fault: Fault, request: IRequest, since: int) -> None:
        self.fault = fault
        self.request = request
        self.since = since

    def origin(self) -> dict[str, Any]:
        """The request that carries it (its route), the client's address, and since when (epoch ms)."""
        request = self.request
        method = request.method.decode("ascii", "replace")
        path = request.path.decode("utf-8", "replace")
        peer = getattr(request.getClientAddress(), "host", None)
        return {"route": f"{method} {path}", "peer": peer, "since": self.since}
