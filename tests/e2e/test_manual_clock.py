"""A daemon on ``[exchange] clock = manual`` steps its market only when told, and trades exactly what
the in-memory venue (``exchangesim.testing``) trades over the same span with the same seed."""

from __future__ import annotations

import time

from exchangesim.testing import START, venue

from .daemon import running

SEED = 2024
CONFIG = f"""\
[server]
endpoint = tcp:0:interface=127.0.0.1
admin_token = manual-clock-token
[exchange]
seed = {SEED}
clock = manual
start_time = {int(START * 1000)}
[persistence]
enabled = false
"""
ADMIN = {"X-Admin-Token": "manual-clock-token"}


def test_a_manual_daemon_stands_still_then_trades_what_the_memory_venue_trades(tmp_path):
    with running(tmp_path, CONFIG) as daemon:
        status, first = daemon.call("GET", "/api/v1/trades?symbol=BTC/USD&limit=1000")
        time.sleep(0.3)  # the wall clock runs on; the market must not (a span to see, not a wait)
        status, health = daemon.call("GET", "/api/v1/health")
        assert (first["trades"], health["market_time"]) == ([], START * 1000)
        for _ in range(3):
            status, answer = daemon.call("POST", "/api/v1/admin/clock", {"advance_ms": 1500}, ADMIN)
            assert status == 200, answer
        assert (answer["paused"], answer["market_time"]) == (True, START * 1000 + 4500)
        fetched = {
            symbol: daemon.call("GET", f"/api/v1/trades?symbol={symbol}&limit=1000")[1]["trades"]
            for symbol in ("BTC/USD", "ETH/USD")
        }
    with venue(seed=SEED) as memory:
        memory.advance(4.5)
        in_memory = {
            symbol: memory.call("GET", f"/api/v1/trades?symbol={symbol}&limit=1000").json()["trades"]
            for symbol in ("BTC/USD", "ETH/USD")
        }
    assert len(fetched["BTC/USD"]) > 20
    assert fetched == in_memory
