"""A journal that cannot be written answers every command 503 in its dialect's error shape, not 500 with a
traceback: through the whole service on a memory reactor (the daemon then exits 74: tests/e2e)."""

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twisted.logger import capturedLogs

from exchangesim.config import AccountConfig
from exchangesim.credentials import ApiKey
from exchangesim.persistence.commands import JournalFailedError
from exchangesim.signing import sign_payload

from ..memory_service import MemoryService, memory_config, request_bytes, status_and_json
from .support import START, crash, recover

KEY, SECRET = "alice-key-0001", "alice-secret"
NATIVE_ORDER = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.1", "price": "1000.00"}
BINANCE_ORDER = {"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                 "quantity": "0.1", "price": "1000.00"}  # fmt: skip
INTERNAL_ERROR = {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."}


def disk_full(*args):
    raise OSError(28, "No space left on device")


@pytest.fixture
def sim(tmp_path):
    config = memory_config()
    config.persistence.enabled = True
    config.persistence.path = str(tmp_path / "data")
    config.named_accounts["alice"] = AccountConfig(api_key=KEY, api_secret=SECRET)
    service = MemoryService(config)
    service.config = config
    return service


def native_order(sim):
    body = json.dumps(NATIVE_ORDER).encode()
    raw = request_bytes(
        "POST", "/api/v1/orders", f"X-API-Key: {KEY}", "Content-Type: application/json", body=body
    )
    status, payload, _ = status_and_json(sim.http(raw).received)
    return status, payload


def binance_order(sim):
    text = urlencode({**BINANCE_ORDER, "timestamp": int(sim.reactor.seconds() * 1000)})
    text += "&signature=" + sign_payload(SECRET, text.encode())
    raw = request_bytes(
        "POST",
        "/api/v3/order",
        f"X-MBX-APIKEY: {KEY}",
        "Content-Type: application/x-www-form-urlencoded",
        body=text.encode(),
    )
    status, payload, _ = status_and_json(sim.http(raw).received)
    return status, payload


def ws_api_order(sim, websocket):
    params = {**BINANCE_ORDER, "apiKey": KEY, "timestamp": int(sim.reactor.seconds() * 1000)}
    text = "&".join(f"{name}={params[name]}" for name in sorted(params))
    params["signature"] = sign_payload(SECRET, text.encode())
    (answer,) = sim.send_json(websocket, {"id": "o1", "method": "order.place", "params": params})
    return answer


def break_the_disk(sim, monkeypatch):
    persistence = sim.service.services[0]
    monkeypatch.setattr(persistence._journal, "_write", disk_full)


def no_traceback(events):
    return not any(event.get("log_failure") is not None for event in events)


def test_the_native_api_answers_503_journal_unavailable_for_the_failed_command_and_every_later_one(
    sim, monkeypatch
):
    assert native_order(sim)[0] == 201
    break_the_disk(sim, monkeypatch)
    with capturedLogs() as events:
        first = native_order(sim)  # the command whose record failed
        monkeypatch.undo()  # the disk is back: still refused, the engine has gone past its journal
        later = native_order(sim)
    for status, payload in (first, later):
        assert status == 503, payload
        assert payload["error"]["code"] == "JOURNAL_UNAVAILABLE"
        assert "journal cannot be written" in payload["error"]["message"]
    assert no_traceback(events)
    assert [
        event["log_level"].name for event in events if "journal cannot be written" in event["log_format"]
    ] == ["critical"]  # once


def test_binance_rest_answers_503_with_code_1001(sim, monkeypatch):
    assert binance_order(sim)[0] == 200
    break_the_disk(sim, monkeypatch)
    with capturedLogs() as events:
        first = binance_order(sim)
        later = binance_order(sim)
    assert first == later == (503, INTERNAL_ERROR)
    assert no_traceback(events)


def test_a_ws_api_order_is_answered_503_and_the_connection_stays_open(sim, monkeypatch):
    websocket = sim.websocket("/ws-api/v3")
    assert ws_api_order(sim, websocket)["status"] == 200
    break_the_disk(sim, monkeypatch)
    with capturedLogs() as events:
        answers = [ws_api_order(sim, websocket) for _ in range(2)]
    for answer in answers:
        assert (answer["id"], answer["status"], answer["error"]) == ("o1", 503, INTERNAL_ERROR)
    assert websocket.closed is None
    assert no_traceback(events)


def test_an_api_key_that_cannot_be_recorded_stops_every_later_command(sim, monkeypatch):
    """A key registered in memory but not on record would be gone at the next start: the same failure
    as an engine command's, so the engine refuses from then on too."""
    venue = sim.service.venue
    break_the_disk(sim, monkeypatch)
    with pytest.raises(JournalFailedError):
        venue.keys.register(ApiKey("alice", "alice-key-0002", "another-secret"))
    monkeypatch.undo()
    with pytest.raises(JournalFailedError):
        venue.exchange.place("alice", "BTC/USD", "BUY", "LIMIT", 10, 100_000, ts=venue.now_ms())


def test_no_snapshot_is_taken_once_a_record_failed(sim, monkeypatch):
    """A snapshot then would hold the command whose record failed, which was never acknowledged."""
    persistence = sim.service.services[0]
    venue = sim.service.venue
    placed = native_order(sim)[1]
    break_the_disk(sim, monkeypatch)
    with pytest.raises(Exception):  # noqa: B017 - whichever error: its order is in memory, not on record
        venue.exchange.place("alice", "BTC/USD", "BUY", "LIMIT", 10, 100_000, ts=venue.now_ms())
    assert len(venue.exchange.open_orders("alice")) == 2
    monkeypatch.undo()
    persistence.stopService()  # no final snapshot
    assert persistence_files(sim) == ["journal-00000001", "snapshot-00000001"]
    again = recover(sim.config, START + 60)
    assert [order.order_id for order in again.venue.exchange.open_orders("alice")] == [
        int(placed["order_id"])
    ]
    crash(again)


def persistence_files(sim):
    return sorted(path.name for path in Path(sim.config.persistence.path).iterdir() if path.name != "lock")
