"""Faults a real daemon injects, seen from a client over loopback and matched against the audit file.

A post_engine drop leaves the order on the book while the client gets no answer (and finds it by client
order id); a pre_engine drop leaves no order; a WebSocket drop shows as gaps in ``seq`` exactly where
the audit says. Quiet markets (no agents, slow ticks), so only the test moves the book.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest

from exchangesim.client import ExchangeClient, NotFound, TransportError

from ..asyncio_runner import GUARD_SECONDS
from .daemon import Daemon

WAIT = 10.0  # seconds for any one response or message
ADMIN_TOKEN = "faults-test-token"
QUIET = ["[exchange]", "tick_interval_ms = 1000", "[liquidity]", "enabled = false"]


class FaultyDaemon:
    """A daemon started with ``[failure:NAME]`` sections, writing its audit to ``audit_file``."""

    def __init__(self, workdir: Path, faults: dict[str, dict[str, str]]) -> None:
        self.audit_file = workdir / "faults.jsonl"
        lines = ["[server]", f"admin_token = {ADMIN_TOKEN}", *QUIET]
        lines += ["[failures]", "enabled = true", "seed = 7", f"audit_file = {self.audit_file}"]
        for name, keys in faults.items():
            lines += [f"[failure:{name}]", *(f"{key} = {value}" for key, value in keys.items())]
        config = workdir / "faults.ini"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.daemon = Daemon(workdir, "--config", str(config))
        self.base_url = self.daemon.base_url

    def audit(self, fault: str) -> list[dict]:
        """The audit file's events of ``fault``, in order."""
        events = [json.loads(line) for line in self.audit_file.read_text(encoding="utf-8").splitlines()]
        return [event for event in events if event["fault"] == fault]

    def stop(self) -> None:
        self.daemon.stop()
        assert "Traceback (most recent call last)" not in self.daemon.output, self.daemon.output


@pytest.fixture
def start(tmp_path):
    started = []

    def start(**faults: dict[str, str]) -> FaultyDaemon:
        started.append(FaultyDaemon(tmp_path, faults))
        return started[-1]

    yield start
    for daemon in started:
        daemon.stop()


def complete(coroutine):
    """Run a client coroutine to its end in a fresh event loop; its result."""
    return asyncio.run(asyncio.wait_for(coroutine, GUARD_SECONDS))


def order_drop(stage: str) -> dict[str, str]:
    """Drop the first order placed, at ``stage``: the connection is closed without an answer."""
    return {"mode": "drop", "layer": "rest", "stage": stage, "route": "POST /api/v1/orders", "first": "1"}


# -- REST: the engine acted or it did not -------------------------------------------------------------
async def lose_the_ack_then_find_the_order(base_url: str) -> tuple[dict, dict]:
    async with ExchangeClient(base_url, timeout=WAIT) as client:
        with pytest.raises(TransportError) as raised:
            await client.place_order("BTC/USD", "BUY", "LIMIT", "0.5", "49000", client_order_id="ack-lost-1")
        assert raised.value.client_order_id == "ack-lost-1"
        order = await client.get_order_by_client_id("ack-lost-1")
        book = await client.get_orderbook("BTC/USD")
        after = await client.place_order("BTC/USD", "BUY", "LIMIT", "0.1", "48000", client_order_id="acked-2")
    assert after["status"] == "NEW"  # first = 1: only the first order's answer is lost
    return order, book


def test_a_post_engine_drop_loses_the_answer_but_the_order_rests_and_is_found_by_client_id(start):
    daemon = start(**{"ack-loss": order_drop("post_engine")})
    order, book = complete(lose_the_ack_then_find_the_order(daemon.base_url))
    assert order["status"] == "NEW" and order["client_order_id"] == "ack-lost-1"
    assert [(Decimal(price), Decimal(quantity)) for price, quantity in book["bids"]] == [
        (Decimal("49000"), Decimal("0.5"))
    ]
    [event] = daemon.audit("ack-loss")
    assert (event["action"], event["stage"], event["route"]) == ("drop", "post_engine", "POST /api/v1/orders")
    assert event["order_id"] == order["order_id"] and event["client_order_id"] == "ack-lost-1"
    assert event["engine_effect"] == f"order {order['order_id']} NEW"


async def lose_the_order_then_look_for_it(base_url: str) -> tuple[dict, dict]:
    async with ExchangeClient(base_url, timeout=WAIT) as client:
        with pytest.raises(TransportError):
            await client.place_order("BTC/USD", "BUY", "LIMIT", "0.5", "49000", client_order_id="never-1")
        with pytest.raises(NotFound):
            await client.get_order_by_client_id("never-1")
        return await client.get_open_orders(), await client.get_balance()


def test_a_pre_engine_drop_leaves_no_order(start):
    daemon = start(**{"order-loss": order_drop("pre_engine")})
    open_orders, balance = complete(lose_the_order_then_look_for_it(daemon.base_url))
    assert open_orders["orders"] == []
    assert Decimal(balance["balances"]["USD"]["locked"]) == 0
    [event] = daemon.audit("order-loss")
    assert (event["action"], event["stage"], event["client_order_id"]) == ("drop", "pre_engine", "never-1")
    assert event["engine_effect"] == "none: the request never reached the engine"
    assert "order_id" not in event


# -- WebSocket: gaps in seq where the audit says ------------------------------------------------------
BIDS = 9


async def watch_the_ticker_while_bidding(base_url: str) -> tuple[list[int], list[dict]]:
    """Each rising bid moves the ticker once: wait for its message, or for the FAULTS event that says
    it was dropped. Returns the TICKER seqs received and the fault events the FAULTS channel carried."""
    received: list[int] = []
    announced: list[dict] = []
    async with ExchangeClient(base_url, timeout=WAIT) as client:
        await client.connect_ws()
        await client.subscribe("FAULTS", admin_token=ADMIN_TOKEN)  # the audit is for operators
        await client.subscribe("TICKER", "BTC/USD")
        for bid in range(BIDS + 1):  # the snapshot first, then one move per bid
            if bid:
                await client.place_order("BTC/USD", "BUY", "LIMIT", "0.01", str(49_000 + bid * 10))
            while True:
                message = await client.receive_ws_message(timeout=WAIT)
                if message.get("channel") == "TICKER":
                    received.append(message["seq"])
                    break
                if message.get("channel") == "FAULTS" and message["event"].get("channel") == "TICKER":
                    announced.append(message["event"])
                    if "seq" in message["event"]:
                        break
    return received, announced


def test_a_websocket_drop_shows_as_seq_gaps_exactly_where_the_audit_says(start):
    ticker_drop = {"mode": "drop", "layer": "ws", "channel": "TICKER", "nth": "3"}
    daemon = start(**{"ticker-gaps": ticker_drop})
    received, announced = complete(watch_the_ticker_while_bidding(daemon.base_url))
    assert received == sorted(received)  # dropped, never reordered
    gaps = set(range(BIDS + 1)) - set(received)
    audited = daemon.audit("ticker-gaps")
    assert gaps == {event["seq"] for event in audited if "seq" in event}
    assert len(gaps) == 3, received  # every third message on the channel
    assert all((event["action"], event["channel"]) == ("drop", "TICKER") for event in audited)
    assert [event["audit_seq"] for event in announced] == [event["audit_seq"] for event in audited]
