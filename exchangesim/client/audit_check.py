"""Faults seen by a client against faults injected: the kinds a profile's faults produce, the kind of each
audit event (``GET /api/v1/admin/failures/events``), and the match of the two, fault by fault."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from .observations import KINDS, Observations
from .resilient import RETRIED_STATUSES

if TYPE_CHECKING:
    from ..failures.spec import FaultSpec

__all__ = ["KindCheck", "compare", "kinds_injected"]

ORDERS_ROUTE = ("POST", "/api/v1/orders")
_WS_KINDS = {
    "drop": "gap",
    "throttle_drop": "gap",
    "duplicate": "duplicate",
    "disconnect": "disconnect",
    "disconnect_after": "disconnect",
    "outage": "disconnect",
}
"""Actions on the ws layer, by the kind a client sees them as."""


def kinds_injected(specs: Iterable[FaultSpec]) -> frozenset[str]:
    """The kinds of fault a client can see from these faults."""
    kinds = set()
    for spec in specs:
        if "rest" in spec.layers:
            matches = spec.route_matcher()
            if spec.mode == "drop" and (matches is None or matches(*ORDERS_ROUTE)):
                kinds.add("lost_ack" if spec.stage == "post_engine" else "lost_request")
            status = 503 if spec.mode == "outage" else spec.params.get("status")
            if spec.mode in ("throttle", "error", "outage") and status in RETRIED_STATUSES:
                kinds.add(RETRIED_STATUSES[status])
        if "ws" in spec.layers and spec.mode in ("drop", "duplicate", "disconnect", "outage"):
            kinds.add(_WS_KINDS[spec.mode])
    return frozenset(kinds)


@attrs.frozen
class KindCheck:
    """One kind: how many the client saw, how many the audit holds, and whether they are the same ones.

    ``unobservable``: audited ones a client cannot have seen, left out of ``audited``: stream messages
    lost or repeated beyond the last one it read on that connection (or copies of that last one), in
    flight when the connection ended. Where a later connection read the same message, only as many as
    the client saw count as seen.
    """

    kind: str
    observed: int
    audited: int
    matched: bool
    unobservable: int = 0

    def describe(self) -> dict[str, Any]:
        return attrs.asdict(self)


def compare(observations: Observations, events: Iterable[dict[str, Any]], account: str) -> list[KindCheck]:
    """Each kind seen or audited, ``account``'s audit events against ``observations``."""
    audited: dict[str, Counter[Hashable]] = {kind: Counter() for kind in KINDS}
    unobservable: Counter[str] = Counter()
    for event in events:
        if event.get("account") != account:
            continue
        found = _kind_of(event)
        if found is None:
            continue
        kind, identity, weight = found
        if kind in ("gap", "duplicate"):
            where = observations.where(*identity)
            if where is None:
                unobservable[kind] += weight
                continue
            if where == "maybe":  # it may have hit a connection that ended before reading it
                read = min(weight, max(0, observations.seen[kind][identity] - audited[kind][identity]))
                unobservable[kind] += weight - read
                weight = read
        audited[kind][identity] += weight
    checks = []
    for kind in KINDS:
        seen = observations.seen[kind]
        if seen or audited[kind] or unobservable[kind]:
            matched = seen == audited[kind]
            total = sum(audited[kind].values())
            checks.append(KindCheck(kind, sum(seen.values()), total, matched, unobservable[kind]))
    return checks


def _kind_of(event: dict[str, Any]) -> tuple[str, Hashable, int] | None:
    """The kind of an audit event, the identity a client would note it by, and how many it counts for."""
    action, params = event.get("action"), event.get("params") or {}
    if event.get("layer") == "rest":
        route = event.get("route")
        if action == "drop" and route == " ".join(ORDERS_ROUTE):
            kind = "lost_ack" if event.get("stage") == "post_engine" else "lost_request"
            return kind, event.get("client_order_id"), 1
        status = {"throttle": params.get("status"), "error": params.get("status"), "outage": 503}.get(action)
        if status in RETRIED_STATUSES:
            return RETRIED_STATUSES[status], route, 1
        return None
    if event.get("layer") == "ws" and action in _WS_KINDS:
        kind = _WS_KINDS[action]
        if kind == "disconnect":
            return kind, None, 1
        label = event.get("symbol") or event.get("account") or ""
        if not isinstance(event.get("seq"), int):
            return None  # a reply, not a stream message: no seq to miss
        weight = event.get("copies", params.get("copies", 1)) if kind == "duplicate" else 1
        return kind, (event.get("channel", ""), label, event["seq"]), weight
    return None
