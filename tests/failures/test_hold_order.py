"""``order``: what a held message holds back. ``stream`` (the default): later messages of its own
stream (channel and symbol), other streams pass; ``connection``: every later message on the
connection, head-of-line, each one audited as ``wait`` with how long it waited."""

import json

import pytest

from exchangesim.failures import FaultSpecError, parse_fault
from exchangesim.failures.registry import mode_for

from .modes.support import Harness, message


def arrivals(link, direction="out"):
    """(ms since start, channel, seq) of each delivered message."""
    return [
        (round(ms, 3), json.loads(data)["channel"], json.loads(data)["seq"])
        for ms, data in link.delivered[direction]
    ]


def ticker_then_book(harness):
    link = harness.connect()
    link.send(message(1), message(1, "BOOK"))
    harness.advance(100)
    link.send(message(2, "BOOK"))
    harness.advance(1000)
    return link


def test_a_delay_on_one_channel_lets_the_other_channels_pass_at_once():
    harness = Harness.with_fault("delay", layer="ws", channel="TICKER", base_ms=500)
    link = ticker_then_book(harness)
    assert arrivals(link) == [(0.0, "BOOK", 1), (100.0, "BOOK", 2), (500.0, "TICKER", 1)]
    assert [(e["action"], e["channel"]) for e in harness.events()] == [("delay", "TICKER")]


def test_in_connection_order_every_message_waits_and_each_wait_is_audited():
    harness = Harness.with_fault("delay", layer="ws", channel="TICKER", base_ms=500, order="connection")
    link = ticker_then_book(harness)
    assert arrivals(link) == [(500.0, "TICKER", 1), (500.0, "BOOK", 1), (500.0, "BOOK", 2)]
    assert [(e["action"], e["channel"], e["seq"], e.get("wait_ms")) for e in harness.events()] == [
        ("delay", "TICKER", 1, None),
        ("wait", "BOOK", 1, 500.0),
        ("wait", "BOOK", 2, 400.0),
    ]
    assert harness.controller.faults["f"].hits == 1  # waits are not hits: count is left alone


def test_a_message_of_the_held_stream_the_fault_does_not_hit_waits_and_is_audited():
    harness = Harness.with_fault("delay", layer="ws", base_ms=500, first=1)
    link = harness.connect()
    link.send(message(1), message(2), message(1, "BOOK"))
    harness.advance(500)
    assert arrivals(link) == [(0.0, "BOOK", 1), (500.0, "TICKER", 1), (500.0, "TICKER", 2)]
    assert [(e["action"], e["seq"], e.get("wait_ms")) for e in harness.events()] == [
        ("delay", 1, None),
        ("wait", 2, 500.0),
    ]


def test_symbols_are_streams_of_their_own():
    harness = Harness.with_fault("delay", layer="ws", symbol="BTC/USD", base_ms=300)
    link = harness.connect()
    link.send(message(1), message(1, symbol="ETH/USD"))
    harness.advance(300)
    assert [(round(ms, 3), json.loads(data)["symbol"]) for ms, data in link.delivered["out"]] == [
        (0.0, "ETH/USD"),
        (300.0, "BTC/USD"),
    ]


def test_a_stall_holds_only_the_streams_it_hit():
    harness = Harness.with_fault("stall", layer="ws", channel="TICKER", duration="1s")
    link = ticker_then_book(harness)
    assert arrivals(link) == [(0.0, "BOOK", 1), (100.0, "BOOK", 2), (1000.0, "TICKER", 1)]


def test_a_stall_in_connection_order_holds_everything_and_audits_what_it_did_not_aim_at():
    harness = Harness.with_fault("stall", layer="ws", channel="TICKER", duration="1s", order="connection")
    link = ticker_then_book(harness)
    assert arrivals(link) == [(1000.0, "TICKER", 1), (1000.0, "BOOK", 1), (1000.0, "BOOK", 2)]
    assert [(e["action"], e["channel"], e.get("wait_ms")) for e in harness.events()] == [
        ("stall", "TICKER", None),
        ("wait", "BOOK", 1000.0),
        ("wait", "BOOK", 900.0),
    ]


def test_a_throttled_channel_does_not_queue_the_others():
    harness = Harness.with_fault("throttle", layer="ws", channel="TICKER", rate=1, burst=1)
    link = harness.connect()
    link.send(message(1), message(2), message(1, "BOOK"))
    harness.advance(1000)
    assert arrivals(link) == [(0.0, "TICKER", 1), (0.0, "BOOK", 1), (1000.0, "TICKER", 2)]


def test_order_is_one_of_stream_or_connection():
    with pytest.raises(FaultSpecError, match="order: expected one of stream, connection"):
        parse_fault("f", {"mode": "delay", "layer": "ws", "order": "fifo"}, mode_for)
