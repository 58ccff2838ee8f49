"""The behaviour half of ``check_mode``: runs of a mode's fault on a ``task.Clock``, at probability 0
and 1, on each layer, stage and direction it declares, and the problems they show."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import attrs
from twisted.internet.task import Clock
from twisted.web.http_headers import Headers
from twisted.web.server import Request

from ..config import FailuresConfig
from ._contract_declarations import raised
from ._received import received_request
from .answers import FaultError
from .connections import FaultyConnection
from .controller import FaultController
from .interface import IFailureMode
from .requests import Answer, Delay, Lose, Repeat, RequestEffect, Response, RestCall, Rewrite
from .spec import FaultSpecError, parse_fault
from .stream import StreamEffect

__all__ = ["rest_problems", "stream_problems"]

MESSAGES = 24
"""Messages (or requests) each run sends."""
SEED = 20_240_601
START = 1_700_000_000.0
"""The clock's reading when a run starts, as a daemon's would be (epoch seconds)."""
STEP = 0.005
"""Seconds between two messages."""
DRAIN = 60.0
"""Seconds the clock runs on after the last message, so that what was held can go."""
DRAIN_STEP = 0.1
FAULT_NAME = "contract"
_VERDICTS = {
    "pre_engine": (Delay, Answer, Lose, Repeat),
    "post_engine": (Delay, Answer, Lose, Rewrite),
}
"""What the rest wrapper can carry out at each stage."""


class _Run:
    """One fault of ``mode`` on a fresh clock and controller, seeded alike every time."""

    def __init__(self, mode: IFailureMode, keys: dict[str, Any]) -> None:
        self.clock = Clock()
        self.clock.advance(START)
        lookup: Callable[[str], IFailureMode] = lambda name: mode  # noqa: E731
        self.controller = FaultController(FailuresConfig(enabled=True), self.clock, SEED, lookup)
        raw = {"mode": mode.name, **keys}
        try:
            self.spec = parse_fault(FAULT_NAME, raw, lookup)
        except FaultSpecError as error:
            if not any(key == "duration" for key, _ in error.problems):
                raise
            # A mode may refuse to act for ever (an endless tcp stall would shut out the admin API):
            # an hour outlasts every run.
            self.spec = parse_fault(FAULT_NAME, {**raw, "duration": "60m"}, lookup)
        with _factory("request_effect"):
            self.controller.apply([self.spec])

    def events(self) -> list[dict[str, Any]]:
        return [dict(event) for event in self.controller.audit.recent]


@attrs.define
class _StreamResult:
    sent: list[bytes] = attrs.Factory(list)
    delivered: list[bytes] = attrs.Factory(list)
    trace: list[tuple[Any, ...]] = attrs.Factory(list)
    """Everything the connection saw, with the clock's reading: deliveries, closes, resets."""
    events: list[dict[str, Any]] = attrs.Factory(list)
    held_before_removal: int = 0
    held_after_removal: int = 0
    released: list[bytes] = attrs.Factory(list)
    late: list[bytes] = attrs.Factory(list)
    not_bytes: list[Any] = attrs.Factory(list)
    ended: bool = False
    after_end: list[bytes] = attrs.Factory(list)


def _stream_run(mode: IFailureMode, layer: str, direction: str, probability: float, remove: bool):
    """Send MESSAGES through the fault (the clock moving between them, or not when ``remove``, so that
    the effect still holds them when the fault is removed), then let the clock run on."""
    run = _Run(mode, {"layer": layer, "direction": direction, "probability": probability})
    clock, result = run.clock, _StreamResult()
    phase = {"removed": False, "gone": False}

    def sink(way: str) -> Callable[[bytes], None]:
        def deliver(data: bytes) -> None:
            if not isinstance(data, bytes):
                result.not_bytes.append(data)
            result.trace.append((clock.seconds(), way, data))
            if way == direction:
                result.delivered.append(data)
                if phase["gone"]:
                    result.after_end.append(data)
                elif phase["removed"]:
                    result.late.append(data)

        return deliver

    def end(*how: Any) -> None:
        result.trace.append((clock.seconds(), *how))
        if not result.ended:
            result.ended = True
            clock.callLater(0, disconnect)  # as the transport reports a lost connection: later

    def disconnect() -> None:
        run.controller.disconnect(link)
        phase["gone"] = True

    describe = _ws_fields if layer == "ws" else (lambda data: {"bytes": len(data)})
    link = FaultyConnection(
        layer,
        "127.0.0.1:40000",
        {"out": sink("out"), "in": sink("in")},
        describe,
        lambda code, reason: end("close", code, reason),
        lambda: end("reset"),
    )
    with _factory("stream_effect"):
        run.controller.connect(link)
    pipeline = link.pipelines[direction]
    [effect] = pipeline.effects
    if not isinstance(effect, StreamEffect):
        raise _RunError(f"stream_effect returned {effect!r}, not an exchangesim.failures.StreamEffect")
    for index in range(MESSAGES):
        if result.ended:
            break
        data = _message(layer, direction, index)
        result.sent.append(data)
        pipeline.send(data)
        if not remove:
            clock.advance(STEP)
    if remove:
        result.held_before_removal = effect.held
        before = len(result.delivered)
        run.controller.remove(FAULT_NAME)
        result.released = result.delivered[before:]
        result.held_after_removal = effect.held
        phase["removed"] = True
    for _ in range(round(DRAIN / DRAIN_STEP)):
        clock.advance(DRAIN_STEP)
    result.events = run.events()
    return result


class _RunError(Exception):
    """A run cannot go on; the message says why."""


@contextlib.contextmanager
def _factory(method: str) -> Iterator[None]:
    """Building the effect: a factory left to the base class means the layer is declared, not built."""
    try:
        yield
    except NotImplementedError as error:
        raise _RunError(f"the mode declares this layer but does not implement {method} ({error})") from None


def stream_problems(mode: IFailureMode, layer: str, direction: str) -> list[str]:
    where = f"{layer} {direction}"
    try:
        idle = _stream_run(mode, layer, direction, 0.0, remove=False)
        acting = _stream_run(mode, layer, direction, 1.0, remove=False)
        again = _stream_run(mode, layer, direction, 1.0, remove=False)
        removed = _stream_run(mode, layer, direction, 1.0, remove=True)
    except FaultSpecError as error:
        return [f"{where}: a fault with the defaults does not parse: {error}"]
    except _RunError as error:
        return [f"{where}: {error}"]
    except Exception as error:
        return [f"{where}: raised {raised(error)}"]
    problems = []
    if idle.delivered != idle.sent:
        problems.append(f"{where}, probability 0: messages must pass unchanged and in order; {_diff(idle)}")
    for result in (idle, acting, removed):
        if result.not_bytes:
            problems.append(f"{where}: passed on {result.not_bytes[0]!r}; downstream takes bytes only")
            break
        if result.after_end:
            problems.append(
                f"{where}: {len(result.after_end)} message(s) arrived after the connection ended and the "
                "fault's effect was stopped; stop() must cancel its timers"
            )
            break
    if acting.trace != again.trace:
        difference = _trace_diff(acting, again)
        problems.append(f"{where}, probability 1: two runs with seed {SEED} differ: {difference}")
    elif acting.events != again.events:
        problems.append(f"{where}, probability 1: two runs with seed {SEED} audit different events")
    if removed.held_after_removal:
        problems.append(
            f"{where}: removing the fault left {removed.held_after_removal} message(s) held; flush() must "
            "send on everything held"
        )
    if len(removed.released) != removed.held_before_removal:
        problems.append(
            f"{where}: the effect said it held {removed.held_before_removal} message(s), removing the fault "
            f"released {len(removed.released)}; held must count what flush() sends on"
        )
    if not _in_order(removed.released, removed.sent):
        problems.append(f"{where}: removing the fault released held messages out of order (or changed)")
    if removed.late:
        problems.append(
            f"{where}: {len(removed.late)} message(s) arrived after the fault was removed and flushed; "
            "stop() must cancel its timers"
        )
    return problems


def _rest_run(mode: IFailureMode, stage: str, probability: float) -> list[tuple[int, Any]]:
    """Requests through a rest fault at ``stage``; the verdict of each one the fault hits."""
    run = _Run(mode, {"layer": "rest", "stage": stage, "probability": probability})
    [(fault, scope, effect)] = run.controller.rest_faults
    if not isinstance(effect, RequestEffect):
        raise _RunError(f"request_effect returned {effect!r}, not an exchangesim.failures.RequestEffect")
    verdicts = []
    for index in range(MESSAGES):
        call = RestCall(_request(index), lambda request: "contract")
        if fault.fires(scope, call):
            if stage == "pre_engine":
                verdicts.append((index, effect.before(call)))
            else:
                verdicts.append((index, effect.after(call, _response(index))))
        run.clock.advance(STEP)
    return verdicts


def rest_problems(mode: IFailureMode, stage: str) -> list[str]:
    where = f"rest {stage}"
    try:
        idle = _rest_run(mode, stage, 0.0)
        acting = _rest_run(mode, stage, 1.0)
        again = _rest_run(mode, stage, 1.0)
    except FaultSpecError as error:
        return [f"{where}: a fault with the defaults does not parse: {error}"]
    except _RunError as error:
        return [f"{where}: {error}"]
    except NotImplementedError as error:
        method = "before()" if stage == "pre_engine" else "after()"
        return [f"{where}: the mode declares this stage; its effect's {method} is not implemented ({error})"]
    except Exception as error:
        return [f"{where}: raised {raised(error)}"]
    problems = []
    if idle:
        problems.append(
            f"{where}, probability 0: the fault hit request {idle[0][0]}; the mode's decider must honour "
            "probability"
        )
    allowed = _VERDICTS[stage]
    for index, verdict in acting:
        if verdict is not None and not isinstance(verdict, allowed):
            names = ", ".join(kind.__name__ for kind in allowed)
            problems.append(
                f"{where}: request {index} got {verdict!r}; at {stage} a verdict is None or {names}"
            )
            break
        problem = _verdict_problem(verdict)
        if problem:
            problems.append(f"{where}: request {index} got {verdict!r}: {problem}")
            break
    if acting != again:
        problems.append(f"{where}, probability 1: two runs with seed {SEED} give different verdicts")
    return problems


def _verdict_problem(verdict: Any) -> str | None:
    if isinstance(verdict, Delay) and not _duration(verdict.seconds):
        return "seconds must be a finite number, 0 or more"
    if isinstance(verdict, Lose) and verdict.hold is not None and not _duration(verdict.hold):
        return "hold must be None (hang) or a finite number of seconds, 0 or more"
    if isinstance(verdict, Answer):
        if not isinstance(verdict.status, int) or not 100 <= verdict.status <= 599:
            return "status must be an HTTP status, 100 to 599"
        if not isinstance(verdict.body, bytes):
            return "body must be bytes"
        if verdict.error is not None and not isinstance(verdict.error, FaultError):
            return "error must be an exchangesim.failures.FaultError (or None, to send body)"
        if verdict.error is not None and verdict.error.status != verdict.status:
            return "error.status must be the answer's status (Answer.refusing makes both)"
        if not all(isinstance(name, bytes) and isinstance(value, bytes) for name, value in verdict.headers):
            return "headers must be (bytes, bytes) pairs"
    if isinstance(verdict, Rewrite) and not isinstance(verdict.body, bytes):
        return "body must be bytes"
    if isinstance(verdict, Repeat) and verdict.answer not in ("first", "second"):
        return "answer must be first or second"
    if verdict is not None and not (isinstance(verdict.action, str) and verdict.action):
        return "action must name what the fault did, for the audit"
    return None


def _duration(seconds: Any) -> bool:
    return isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and 0 <= seconds < math.inf


# -- what the runs send ------------------------------------------------------------------------------
def _message(layer: str, direction: str, index: int) -> bytes:
    """A native WebSocket message (market data out, an operation in), or a chunk of HTTP bytes (tcp)."""
    if layer == "tcp":
        return b"chunk %04d of an HTTP exchange over tcp\r\n" % index
    if direction == "in":
        return json.dumps({"op": "subscribe", "channel": "TICKER", "symbol": "BTC/USD", "n": index}).encode()
    channel = ("TICKER", "TRADES", "BOOK")[index % 3]
    body = {
        "type": "MARKET_DATA",
        "channel": channel,
        "symbol": "BTC/USD",
        "seq": index,
        "ts": int(START * 1000) + index,
        "price": f"{50_000 + index}.25",
        "quantity": "0.125",
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _ws_fields(data: bytes) -> dict[str, Any]:
    """What faults target and audit in a message ``_message`` made (a stream message names its channel,
    symbol and seq; an operation its op), as the native WebSocket reads them."""
    try:
        document = json.loads(data)
    except ValueError:  # a corruption upstream in the same run
        return {}
    if not isinstance(document, dict):
        return {}
    fields = {key: document[key] for key in ("type", "channel", "symbol", "seq", "op") if key in document}
    if "seq" not in fields:  # an operation names a channel it is not part of
        fields.pop("channel", None)
    return fields


def _request(index: int) -> Request:
    """``POST /api/v1/orders`` with a JSON body, as the rest wrapper sees it."""
    body = {
        "symbol": "BTC/USD",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "0.5",
        "price": "49000",
        "client_order_id": f"contract-{index}",
    }
    headers = {"Content-Type": "application/json", "X-API-Key": "contract-key"}
    return received_request("POST", "/api/v1/orders", headers, json.dumps(body).encode())


def _response(index: int) -> Response:
    """The engine's answer to ``_request(index)``: the order resting on the book."""
    body = {
        "order_id": str(1000 + index),
        "client_order_id": f"contract-{index}",
        "symbol": "BTC/USD",
        "side": "BUY",
        "price": "49000.00",
        "quantity": "0.5",
        "status": "NEW",
    }
    return Response(201, Headers({b"content-type": [b"application/json"]}), json.dumps(body).encode())


# -- reporting ---------------------------------------------------------------------------------------
def _diff(result: _StreamResult) -> str:
    for index, (sent, delivered) in enumerate(zip(result.sent, result.delivered, strict=False)):
        if sent != delivered:
            return f"message {index} was {sent[:60]!r}, arrived as {delivered[:60]!r}"
    return f"{len(result.sent)} sent, {len(result.delivered)} arrived"


def _trace_diff(first: _StreamResult, second: _StreamResult) -> str:
    for index, (one, other) in enumerate(zip(first.trace, second.trace, strict=False)):
        if one != other:
            return f"event {index} was {_short(one)} then {_short(other)}"
    return f"{len(first.trace)} events then {len(second.trace)}"


def _short(entry: tuple[Any, ...]) -> str:
    return repr(tuple(item[:40] if isinstance(item, bytes) else item for item in entry))


def _in_order(released: list[bytes], sent: list[bytes]) -> bool:
    """Whether ``released`` is ``sent`` with some left out, in the same order."""
    remaining = iter(sent)
    return all(any(message == candidate for candidate in remaining) for message in released)
