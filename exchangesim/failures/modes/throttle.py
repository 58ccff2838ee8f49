"""``throttle``: a token bucket per connection, account, API key, IP or route. REST requests over it are
answered 429 with Retry-After before the engine; WebSocket messages over it queue or are dropped (an
inbound request dropped is answered 429 where its protocol answers requests)."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from ..answers import THROTTLED, FaultError
from ..mode import FailureMode
from ..params import INTEGER, NUMBER, TEXT, Parameter
from ..requests import Answer, RequestEffect, RestCall
from ..stream import ORDER, HoldingEffect, Sink
from ..token_bucket import TokenBucket

if TYPE_CHECKING:
    from ..fault import Fault, Scope
    from ..spec import FaultSpec

__all__ = ["Throttle"]


class Throttle(FailureMode):
    name = "throttle"
    description = "Rate-limit requests (429 + Retry-After) or messages (queue or drop)."
    layers = ("rest", "ws")
    stages = ("pre_engine",)
    parameters = (
        Parameter(
            "rate",
            NUMBER,
            10.0,
            "Requests or messages a second (bytes a second with unit = byte).",
            "/s",
            low=0.001,
            high=1e9,
        ),
        Parameter("burst", NUMBER, None, "Bucket size (empty: one second of rate).", low=1, high=1e9),
        Parameter(
            "per",
            TEXT,
            "connection",
            "rest: one bucket per connection, account, key, ip, route or all.",
            choices=("connection", "account", "key", "ip", "route", "all"),
        ),
        Parameter("unit", TEXT, "message", "ws: count messages, or bytes.", choices=("message", "byte")),
        Parameter(
            "overflow",
            TEXT,
            "queue",
            "ws: queue what is over the rate, or drop it.",
            choices=("queue", "drop"),
        ),
        ORDER,
        Parameter(
            "status", INTEGER, 429, "Status of a refused request (rest, ws inbound).", low=400, high=599
        ),
    )

    restarted_by = ("per", "unit", "order")

    def request_effect(self, fault: Fault, scope: Scope) -> RequestEffect:
        return _ThrottleRequests(fault, scope)

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> HoldingEffect:
        return _ThrottleMessages(fault, scope, downstream)


def _bucket(fault: Fault) -> TokenBucket:
    return TokenBucket(fault.clock, *_rate_and_burst(fault))


def _rate_and_burst(fault: Fault) -> tuple[float, float]:
    params = fault.spec.params
    return params["rate"], params["burst"] or max(1.0, params["rate"])


def _over_rate(fault: Fault, wait: float, what: str) -> FaultError:
    """The refusal of a request over the rate, with when to retry (whole seconds, at least 1)."""
    retry_after = max(1, round(wait + 0.4999))
    message = f"over {fault.spec.params['rate']:g} {what} a second; retry after {retry_after} s"
    at_ms = int(fault.clock.seconds() * 1000)
    return FaultError(fault.spec.params["status"], THROTTLED, message, retry_after_s=retry_after, at_ms=at_ms)


class _ThrottleRequests(RequestEffect):
    def __init__(self, fault: Fault, scope: Scope) -> None:
        super().__init__(fault, scope)
        self._buckets: dict[object, TokenBucket] = {}
        # Per connection: keyed by the channel itself, weakly, so a bucket goes with its connection
        # (an id() would be reused by a later connection, which would inherit a drained bucket).
        self._channel_buckets: weakref.WeakKeyDictionary[object, TokenBucket] = weakref.WeakKeyDictionary()

    def before(self, call: RestCall) -> Answer | None:
        key = self._key(call)
        by_channel = key is not None and self.fault.spec.params["per"] == "connection"
        buckets = self._channel_buckets if by_channel else self._buckets
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = _bucket(self.fault)
        if bucket.take():
            return None
        return Answer.refusing(_over_rate(self.fault, bucket.wait(), "requests"), "throttle")

    def retune(self, previous: FaultSpec) -> None:
        for bucket in (*self._buckets.values(), *self._channel_buckets.values()):
            bucket.retune(*_rate_and_burst(self.fault))

    def _key(self, call: RestCall) -> object:
        per = self.fault.spec.params["per"]
        request = call.request
        if per == "connection":
            return request.channel
        if per == "account":
            return call.fields().get("account")
        if per == "key":
            return request.getHeader(b"x-api-key") or request.getHeader(b"x-mbx-apikey")
        if per == "ip":
            return getattr(request.getClientAddress(), "host", None)
        if per == "route":
            return call.fields()["route"]
        return None


class _ThrottleMessages(HoldingEffect):
    def __init__(self, fault: Fault, scope: Scope, downstream: Sink) -> None:
        super().__init__(fault, scope, downstream)
        self._bucket = _bucket(fault)
        self._per_byte = fault.spec.params["unit"] == "byte"

    def retune(self, previous: FaultSpec) -> None:
        self._bucket.retune(*_rate_and_burst(self.fault))

    def inject(self, data: bytes) -> None:
        cost = len(data) if self._per_byte else 1
        if not self.held and self._bucket.take(cost):
            self.downstream(data)
        elif self.fault.spec.params["overflow"] == "drop":
            self.record("throttle_drop", data, **self._answer(data))
        else:
            wait = self._bucket.reserve(cost)
            self.record("throttle_queue", data, wait_ms=round(wait * 1000, 3))
            self.hold(data, self.clock.seconds() + wait)

    def _answer(self, data: bytes) -> dict[str, int]:
        """Answer an inbound request dropped over the rate, where its protocol answers requests; the
        audit detail saying so."""
        if self.scope.direction != "in":
            return {}
        error = _over_rate(self.fault, self._bucket.wait(), "messages")
        return {"answered": error.status} if self.scope.connection.refuse(data, error) else {}
