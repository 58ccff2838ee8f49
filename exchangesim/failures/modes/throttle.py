"""``throttle``: a token bucket per connection, account, API key, IP or route. REST requests over it are
answered 429 with Retry-After before the engine; WebSocket messages over it queue or are dropped."""

from __future__ import annotations

import weakref

from ...api.responses import encode, error_payload
from ..mode import FailureMode
from ..params import INTEGER, NUMBER, TEXT, Parameter
from ..requests import Answer, RequestEffect
from ..stream import HoldingEffect
from ..token_bucket import TokenBucket

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
        Parameter("status", INTEGER, 429, "rest: status of a refused request.", low=400, high=599),
    )

    def request_effect(self, fault, scope):
        return _ThrottleRequests(fault, scope)

    def stream_effect(self, fault, scope, downstream):
        return _ThrottleMessages(fault, scope, downstream)


def _bucket(fault) -> TokenBucket:
    params = fault.spec.params
    return TokenBucket(fault.clock, params["rate"], params["burst"] or max(1.0, params["rate"]))


class _ThrottleRequests(RequestEffect):
    def __init__(self, fault, scope) -> None:
        super().__init__(fault, scope)
        self._buckets: dict[object, TokenBucket] = {}
        # Per connection: keyed by the channel itself, weakly, so a bucket goes with its connection
        # (an id() would be reused by a later connection, which would inherit a drained bucket).
        self._channel_buckets: weakref.WeakKeyDictionary[object, TokenBucket] = weakref.WeakKeyDictionary()

    def before(self, call):
        key = self._key(call)
        by_channel = key is not None and self.fault.spec.params["per"] == "connection"
        buckets = self._channel_buckets if by_channel else self._buckets
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = _bucket(self.fault)
        if bucket.take():
            return None
        retry_after = max(1, round(bucket.wait() + 0.4999))
        body = encode(
            error_payload(
                "THROTTLED",
                f"over {self.fault.spec.params['rate']:g} requests a second; retry after {retry_after} s",
            )
        )
        return Answer(
            self.fault.spec.params["status"], body, ((b"retry-after", b"%d" % retry_after),), "throttle"
        )

    def _key(self, call) -> object:
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
    def __init__(self, fault, scope, downstream) -> None:
        super().__init__(fault, scope, downstream)
        self._bucket = _bucket(fault)
        self._per_byte = fault.spec.params["unit"] == "byte"

    def inject(self, data):
        cost = len(data) if self._per_byte else 1
        if not self.held and self._bucket.take(cost):
            self.downstream(data)
        elif self.fault.spec.params["overflow"] == "drop":
            self.record("throttle_drop", data)
        else:
            wait = self._bucket.reserve(cost)
            self.record("throttle_queue", data, wait_ms=round(wait * 1000, 3))
            self.hold(data, self.clock.seconds() + wait)
