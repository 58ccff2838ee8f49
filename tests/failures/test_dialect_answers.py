"""What faults answer takes the shape of the dialect whose route they hit: ``{"code": -1003, "msg"}`` on
``/api/v3``, a WS-API error frame on ``/ws-api/v3``, ``{"error": {"code": "THROTTLED"}}`` on the native
API; a 502 or a 504 says what it is. The whole daemon's wiring, in memory."""

from __future__ import annotations

import json
from typing import Any

import pytest
from twisted.internet.task import Clock

from exchangesim.api.binance.errors import BINANCE_FAULT_ERRORS
from exchangesim.api.errors import NATIVE_FAULT_ERRORS
from exchangesim.config import FailuresConfig
from exchangesim.failures import PLAIN_ERRORS, FaultError
from exchangesim.failures.connections import FaultyConnection
from exchangesim.failures.controller import FaultController
from tests.memory_service import MemoryService, memory_config, request_bytes, status_and_json

START = 1_700_000_000.0
# Binance's codes (errors.md, "10xx - General Server or Network issues") for what each fault answers.
BINANCE = {500: -1000, 502: -1006, 503: -1001, 504: -1007}
NATIVE = {500: "INTERNAL", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}


def service(failures: dict[str, Any] | None = None, **faults: dict[str, Any]) -> MemoryService:
    config = memory_config()
    config.failures.enabled = True
    for key, value in (failures or {}).items():
        setattr(config.failures, key, value)
    for name, keys in faults.items():
        config.faults[name] = {key: str(value) for key, value in keys.items()}
    return MemoryService(config)


def get(sim: MemoryService, path: str, *headers: str) -> tuple[int, Any, bytes]:
    return status_and_json(sim.http(request_bytes("GET", path, "Connection: close", *headers)).received)


def retry_after(head: bytes) -> str | None:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"retry-after":
            return value.strip().decode()
    return None


# -- REST ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["pre_engine", "post_engine"])
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_an_error_on_api_v3_answers_binances_code_and_msg(status, stage):
    sim = service(e={"mode": "error", "layer": "rest", "stage": stage, "status": status, "message": "boom"})
    code, body, head = get(sim, "/api/v3/time")
    assert (code, body) == (status, {"code": BINANCE[status], "msg": "boom"})
    assert retry_after(head) == "1"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_the_same_error_on_api_v1_answers_the_native_shape_saying_what_it_is(status):
    sim = service(e={"mode": "error", "layer": "rest", "status": status, "message": "boom"})
    code, body, _ = get(sim, "/api/v1/symbols")
    assert (code, body) == (status, {"error": {"code": NATIVE[status], "message": "boom"}})


def test_a_throttled_api_v3_request_is_binances_1003_with_retry_after():
    sim = service(t={"mode": "throttle", "layer": "rest", "rate": 0.001, "burst": 1, "per": "all"})
    assert get(sim, "/api/v3/time")[0] == 200
    code, body, head = get(sim, "/api/v3/time")
    assert (code, set(body), body["code"]) == (429, {"code", "msg"}, -1003)
    assert "retry after 1000 s" in body["msg"]
    assert retry_after(head) == "1000"
    code, body, _ = get(sim, "/api/v1/symbols")
    assert (code, body["error"]["code"]) == (429, "THROTTLED")


def test_a_throttle_answering_418_is_still_1003_on_api_v3():
    keys = {"mode": "throttle", "layer": "rest", "rate": 0.001, "burst": 1, "per": "all", "status": 418}
    sim = service(t=keys)
    get(sim, "/api/v3/time")
    code, body, _ = get(sim, "/api/v3/time")
    assert (code, body["code"]) == (418, -1003)


def test_an_outage_on_api_v3_answers_binances_503():
    sim = service(down={"mode": "outage", "layer": "rest", "retry_after_ms": "5s"})
    code, body, head = get(sim, "/api/v3/time")
    assert (code, body) == (503, {"code": -1001, "msg": "the exchange is down"})
    assert retry_after(head) == "5"
    code, body, _ = get(sim, "/api/v1/symbols")
    assert (code, body["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")


def test_a_refused_fault_header_on_api_v3_is_in_binances_words():
    sim = service({"allow_header_control": True})
    code, body, _ = get(sim, "/api/v3/time", "X-Sim-Fault-Mode: dorp")
    assert (code, set(body), body["code"]) == (400, {"code", "msg"}, -1130)
    assert "did you mean 'drop'?" in body["msg"]
    code, body, _ = get(sim, "/api/v1/symbols", "X-Sim-Fault-Mode: dorp")
    assert (code, body["error"]["code"], body["error"]["field"]) == (
        400,
        "INVALID_FAULT_HEADER",
        "x-sim-fault-mode",
    )


def test_a_header_fault_on_api_v3_answers_in_binances_words():
    sim = service({"allow_header_control": True})
    code, body, _ = get(sim, "/api/v3/time", "X-Sim-Fault-Mode: error", "X-Sim-Fault-Status: 504")
    assert (code, body["code"]) == (504, -1007)


# -- WebSocket ---------------------------------------------------------------------------------------
THROTTLE_IN = {
    "mode": "throttle",
    "layer": "ws",
    "direction": "in",
    "rate": 0.001,
    "burst": 1,
    "overflow": "drop",
}


def test_a_ws_api_request_over_a_throttle_is_answered_with_a_ws_api_429():
    sim = service(t=THROTTLE_IN)
    ws = sim.websocket("/ws-api/v3")
    [first] = sim.send_json(ws, {"id": "a", "method": "time.nope"})
    assert (first["id"], first["status"], first["error"]["code"]) == ("a", 400, -1020)  # it passed
    [refused] = sim.send_json(ws, {"id": "b", "method": "time.nope"})
    assert (refused["id"], refused["status"], refused["error"]["code"]) == ("b", 429, -1003)
    assert refused["error"]["data"] == {"retryAfter": int(START * 1000) + 1000 * 1000}
    [event] = [e for e in sim.service.venue.faults.audit.recent if e["action"] == "throttle_drop"]
    assert event["answered"] == 429


def test_a_native_ws_operation_over_a_throttle_is_answered_with_an_error_message():
    sim = service(t=THROTTLE_IN)
    ws = sim.websocket("/ws")
    [pong] = sim.send_json(ws, {"op": "ping"})
    assert pong["type"] == "PONG"
    [refused] = sim.send_json(ws, {"op": "ping"})
    assert (refused["type"], refused["op"], refused["error"]["code"]) == ("ERROR", "ping", "THROTTLED")


def test_a_market_stream_request_over_a_throttle_gets_no_answer_as_on_binance():
    sim = service(t=THROTTLE_IN)
    ws = sim.websocket("/ws/0")
    [answer] = sim.send_json(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1})
    assert answer == {"result": [], "id": 1}
    assert sim.send_json(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 2}) == []
    [event] = [e for e in sim.service.venue.faults.audit.recent if e["action"] == "throttle_drop"]
    assert "answered" not in event


def test_a_ws_api_request_during_an_outage_is_answered_503_before_the_close():
    clock = Clock()
    clock.advance(START)
    controller = FaultController(FailuresConfig(enabled=True), clock, 1)
    controller.put(controller.parse("down", {"mode": "outage", "layer": "ws", "direction": "in"}))
    sent, closes = [], []
    link = FaultyConnection(
        "ws",
        "127.0.0.1:40000",
        {"out": sent.append, "in": lambda data: None},
        lambda data: {},
        lambda code, reason: closes.append((code, reason, list(sent))),
        lambda: None,
        error_shape=BINANCE_FAULT_ERRORS,
    )
    controller.connect(link)
    link.pipelines["in"].send(b'{"id": 7, "method": "order.place", "params": {}}')
    [reply] = [json.loads(message) for message in sent]
    assert (reply["id"], reply["status"], reply["error"]["code"]) == (7, 503, -1001)
    assert closes == [(1013, "the exchange is down", sent)]  # answered first, then closed


# -- the shapes themselves ---------------------------------------------------------------------------
def test_each_shape_words_an_unknown_code_by_its_status():
    error = FaultError(429, "PLUGIN_SAYS_SLOW_DOWN", "slow down")
    assert json.loads(BINANCE_FAULT_ERRORS.body(error)) == {"code": -1003, "msg": "slow down"}
    assert json.loads(BINANCE_FAULT_ERRORS.body(FaultError(507, "FULL", "full")))["code"] == -1000
    native = {"error": {"code": "PLUGIN_SAYS_SLOW_DOWN", "message": "slow down"}}
    assert json.loads(NATIVE_FAULT_ERRORS.body(error)) == native == json.loads(PLAIN_ERRORS.body(error))


def test_a_reply_to_a_message_that_is_not_json_names_no_request():
    error = FaultError(429, "THROTTLED", "slow down")
    assert json.loads(BINANCE_FAULT_ERRORS.reply(error, b"\xff{")) == {
        "id": None,
        "status": 429,
        "error": {"code": -1003, "msg": "slow down"},
    }
    assert json.loads(NATIVE_FAULT_ERRORS.reply(error, b"[" * 5000))["type"] == "ERROR"
    assert PLAIN_ERRORS.reply(error, b"{}") is None
