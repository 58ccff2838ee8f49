"""SIGTERM stops the daemon gracefully: WebSocket clients see 1001, a request in flight is answered,
and the process exits 0 within 5 s (DESIGN §10.14)."""

import asyncio
import configparser
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from exchangesim.config import Config
from exchangesim.shutdown import CLOSE_TIMEOUT_S, DRAIN_TIMEOUT_S

from .daemon import Daemon

UNIT = Path(__file__).resolve().parents[2] / "etc" / "exchangesim.service"

TOKEN = "shutdown-test-token"
CONFIG = f"""\
[server]
admin_token = {TOKEN}
[liquidity]
enabled = false
[failures]
enabled = true
[failure:slow-ticker]
mode = delay
layer = rest
route = GET /api/v1/ticker
base_ms = 1000
"""
STOP_BOUND_S = 5.0


async def _stop_while_busy(daemon, sigterms):
    """Open a WebSocket, start a slow request, SIGTERM (``sigterms`` times: the later ones while the daemon
    stops); returns (close code, close frame, request status, exit code)."""
    async with aiohttp.ClientSession() as session:
        websocket = await session.ws_connect(f"{daemon.base_url}/ws")
        await websocket.send_json({"op": "subscribe", "channel": "FAULTS", "admin_token": TOKEN})
        assert (await websocket.receive_json())["type"] == "SUBSCRIBED"
        request = asyncio.ensure_future(session.get(f"{daemon.base_url}/api/v1/ticker?symbol=BTC/USD"))
        audit = await websocket.receive_json()  # the delay fault holds the request now
        assert (audit["type"], audit["event"]["action"]) == ("FAULT", "delay")
        signalled = time.monotonic()
        daemon.process.send_signal(signal.SIGTERM)
        closing = await websocket.receive()
        for _ in range(sigterms - 1):  # the request is still held: the daemon is stopping
            daemon.process.send_signal(signal.SIGTERM)
        response = await request
        status = response.status
        remaining = STOP_BOUND_S - (time.monotonic() - signalled)
        exit_code = await asyncio.to_thread(daemon.process.wait, max(remaining, 0.01))
        return websocket.close_code, closing.type, status, exit_code


@pytest.mark.parametrize("sigterms", [1, 2], ids=["one SIGTERM", "another while stopping"])
def test_sigterm_closes_websockets_with_1001_finishes_requests_and_exits_0(tmp_path, sigterms):
    config = tmp_path / "slow.ini"
    config.write_text(CONFIG, encoding="utf-8")
    daemon = Daemon(tmp_path, "--config", str(config))
    try:
        close_code, frame, status, exit_code = asyncio.run(_stop_while_busy(daemon, sigterms))
    finally:
        daemon.stop()
    assert (close_code, frame) == (1001, aiohttp.WSMsgType.CLOSE), daemon.output
    assert status == 200
    assert exit_code == 0, daemon.output
    assert "stopping: no new connections" in daemon.output
    assert "exchangesim stopped" in daemon.output
    assert "Traceback" not in daemon.output


def test_the_systemd_unit_stops_with_sigterm_and_waits_longer_than_the_daemon_takes():
    """What ``systemd-analyze verify`` (test_daemon.py, where installed) cannot judge: the stop settings."""
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read_string(UNIT.read_text(encoding="utf-8"))
    service = unit["Service"]
    assert service["KillSignal"] == "SIGTERM"
    assert "--nodaemon" in service["ExecStart"]  # systemd signals the process it started
    assert DRAIN_TIMEOUT_S + CLOSE_TIMEOUT_S < STOP_BOUND_S < int(service["TimeoutStopSec"])
    assert int(service["LimitNOFILE"]) > Config().server.max_connections
