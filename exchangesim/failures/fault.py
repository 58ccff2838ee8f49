"""A configured fault at run time: its schedule on the injected clock, its triggers, its random
streams (one per scope, derived from the seed) and its audit records."""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IReactorTime

from .interface import IFailureMode
from .spec import FaultSpec

if TYPE_CHECKING:
    from .audit import AuditLog
    from .connections import FaultyConnection

__all__ = ["Fault", "Scope"]


def _is_glob(pattern: str) -> bool:
    return any(character in pattern for character in "*?[")


_TICK = 1e-6
"""The shortest wait until a schedule change, in seconds: a timer always moves the clock on."""

Describe = Callable[[Any], dict[str, Any]]
"""The audit and targeting fields of one message or request: channel, symbol, seq, route, ..."""


class Scope:
    """Where a fault acts: one connection in one direction (ws, tcp), or a layer's requests (rest).

    Each scope has its own random stream and its own count of eligible messages, so what one connection
    sees does not change what another does.
    """

    __slots__ = (
        "connection",
        "decide",
        "describe",
        "direction",
        "fault",
        "key",
        "layer",
        "rng",
        "seen",
        "tuning",
    )

    def __init__(
        self,
        fault: Fault,
        layer: str,
        key: str,
        describe: Describe,
        connection: FaultyConnection | None = None,
        direction: str | None = None,
    ) -> None:
        self.fault = fault
        self.layer = layer
        self.key = key
        self.describe = describe
        self.connection = connection
        self.direction = direction
        self.rng = fault.rng(key)
        self.seen = 0
        self.retune()

    def retune(self) -> None:
        """Decide with the fault's probability and parameters as they are now; the random stream and
        the count of eligible messages go on (a PATCH that keeps the fault changed them)."""
        fault = self.fault
        self.decide = fault.mode.decider(fault.spec.params, fault.spec.probability, self.rng)
        self.tuning = fault.tuning


class Fault:
    """One fault: decides, message by message, whether it acts, and writes what it did to the audit."""

    def __init__(
        self, spec: FaultSpec, mode: IFailureMode, clock: IReactorTime, seed: int, audit: AuditLog
    ) -> None:
        self.spec = spec
        self.mode = mode
        self.name = spec.name
        self.clock = clock
        self.audit = audit
        self.installed_at = clock.seconds()
        self.hits = 0
        self.retired = False
        """Removed, replaced or cleared: it hits nothing more, and what it holds is let go."""
        self.counted_as = self.name
        """The fault label of its injections in the audit's counters (and so in ``/metrics``)."""
        self.tuning = 0
        """How many times ``retune`` changed its keys: a scope deciding with older ones catches up."""
        self._seed = seed
        self._read(spec)

    def retune(self, spec: FaultSpec) -> None:
        """Take ``spec``'s keys (a PATCH that does not change what the fault is: same mode, layers,
        targeting and schedule) keeping its hits, trigger counts, random streams and schedule."""
        if (spec.probability, spec.params) != (self.spec.probability, self.spec.params):
            self.tuning += 1  # its scopes decide anew, with the random streams they have
        self.spec = spec
        self._read(spec)
        if self.retired:
            self._idle = True

    def _read(self, spec: FaultSpec) -> None:
        self._route = spec.route_matcher()
        # Read per message: plain attributes (a FaultSpec finds its common keys in a mapping).
        common = spec.common
        self._account, self._symbol = common["account"], common["symbol"]
        self._after, self._first, self._nth, self._count = (
            common[key] for key in ("after", "first", "nth", "count")
        )
        channel = common["channel"]
        self._channel_is = None if channel is None or _is_glob(channel) else channel
        self._channel_glob = channel if channel is not None and _is_glob(channel) else None
        self._by_fields = self._symbol is not None or channel is not None
        self._unscheduled = not spec.start and spec.duration is None
        # Probability 0 never hits (a new probability comes through retune): skip the bookkeeping.
        self._idle = spec.probability == 0

    def retire(self) -> None:
        """Hit nothing more: the fault was removed, replaced or cleared (requests it hit may be open)."""
        self.retired = self._idle = True

    def rng(self, scope_key: str) -> random.Random:
        """The random stream of one scope: the same seed, fault and scope give the same decisions."""
        return random.Random(f"{self._seed}/{self.name}/{scope_key}")

    def targets(self, layer: str, direction: str | None = None, ordinal: int | None = None) -> bool:
        """Whether the fault acts on this layer, direction and connection at all."""
        spec = self.spec
        if layer not in spec.layers:
            return False
        if direction is not None and spec.direction not in ("both", direction):
            return False
        return spec.connection is None or spec.connection == ordinal

    # -- the schedule --------------------------------------------------------------------------------
    def live(self) -> bool:
        """Whether the schedule has the fault acting now."""
        if self._unscheduled:
            return True
        duration, period = self.spec.duration, self.spec.period
        elapsed = self._elapsed_ms()
        if elapsed < 0:
            return False
        if duration is None:
            return True
        if period is not None:
            elapsed %= period
        return elapsed < duration

    def until_change(self) -> float | None:
        """Seconds until the schedule next starts or stops the fault; None when it never will."""
        duration, period = self.spec.duration, self.spec.period
        exact = (self.clock.seconds() - self.installed_at) * 1000 - self.spec.start
        elapsed = round(exact, 3)  # which side of a boundary, as live() sees it
        if elapsed < 0:
            change = 0.0
        elif duration is None:
            return None
        elif period is None:
            if elapsed >= duration:
                return None
            change = duration
        else:
            phase = elapsed % period
            change = elapsed - phase + (duration if phase < duration else period)
        return max((change - exact) / 1000, _TICK)

    def _elapsed_ms(self) -> float:
        """Milliseconds since ``start``, to the microsecond: a timer set for a boundary lands on it,
        although epoch seconds as floats are only good to a fraction of a microsecond."""
        return round((self.clock.seconds() - self.installed_at) * 1000 - self.spec.start, 3)

    # -- decisions -----------------------------------------------------------------------------------
    def fires(self, scope: Scope, subject: Any) -> bool:
        """Whether this fault hits ``subject`` (a message, a chunk of bytes or a request) now."""
        if self._idle or (not self._unscheduled and not self.live()):
            return False
        if self._route is not None and not self._route(subject.method, subject.path):
            return False  # a route is a rest key, so the subject is a RestCall
        if self._account is not None and self._account_of(scope, subject) != self._account:
            return False
        if self._by_fields and not self._matches(scope.describe(subject)):
            return False
        scope.seen += 1
        eligible = scope.seen - self._after
        if eligible <= 0:
            return False
        if self._first is not None and eligible > self._first:
            return False
        if self._nth is not None and eligible % self._nth:
            return False
        if self._count is not None and self.hits >= self._count:
            return False
        if scope.tuning != self.tuning:
            scope.retune()
        return scope.decide()

    def aims_at(self, scope: Scope, subject: Any) -> bool:
        """Whether the targeting keys (route, account, symbol, channel) pick ``subject``, whatever the
        schedule, triggers and probability say: a message held that the fault does not aim at only
        waits behind the ones it hit."""
        if self._route is not None and not self._route(subject.method, subject.path):
            return False
        if self._account is not None and self._account_of(scope, subject) != self._account:
            return False
        return not self._by_fields or self._matches(scope.describe(subject))

    def _account_of(self, scope: Scope, subject: Any) -> str | None:
        if scope.connection is not None:
            return scope.connection.account
        return scope.describe(subject).get("account")

    def _matches(self, fields: dict[str, Any]) -> bool:
        if self._symbol is not None and fields.get("symbol") != self._symbol:
            return False
        if self._channel_is is not None:
            return fields.get("channel") == self._channel_is
        if self._channel_glob is not None:
            channel = fields.get("channel")
            return channel is not None and fnmatch.fnmatchcase(channel, self._channel_glob)
        return True

    # -- the audit -----------------------------------------------------------------------------------
    def note_hit(self) -> None:
        """Count a hit now whose audit event comes later (``record`` with ``hit=False``): ``count``
        must stop the fault at once, not when what it holds is released."""
        self.hits += 1

    def record(self, action: str, scope: Scope, subject: Any, *, hit: bool = True, **detail: Any) -> None:
        """Write one audit event: what this fault did to ``subject``, where, and with what effect.

        ``hit`` False: not a hit of its own (a message that waited behind held ones, or a hit already
        counted with ``note_hit``), so ``hits`` and the ``count`` budget are left as they are."""
        spec = self.spec
        event: dict[str, Any] = {
            "ts": int(self.clock.seconds() * 1000),
            "fault": self.name,
            "mode": spec.mode,
            "action": action,
            "layer": scope.layer,
            "stage": spec.stage if scope.layer == "rest" else None,
        }
        connection = scope.connection
        if connection is not None:
            event["connection"] = connection.id
            event["direction"] = scope.direction
            if connection.account is not None:
                event["account"] = connection.account
        event.update(scope.describe(subject))
        event.update(detail)
        event["params"] = dict(spec.params)
        if hit:
            self.hits += 1  # what count limits: injections, not messages an effect looked at and let be
        self.audit.record(event, self.counted_as)
