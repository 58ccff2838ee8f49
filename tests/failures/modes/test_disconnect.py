"""``disconnect``: reset or close a connection on the message the fault hits, or ``after_ms`` on the
clock, once, only while the fault's schedule has it live."""

import pytest

from exchangesim.failures import FaultSpecError, parse_fault
from exchangesim.failures.registry import mode_for

from .support import Harness, since_start


def disconnected_at(seed: int) -> list[int]:
    harness = Harness.with_fault("disconnect", seed, layer="ws", probability=0.1)
    harness.connect().send(*range(1, 31))
    return [event["seq"] for event in harness.events()]


def test_the_message_after_the_first_n_resets_the_connection_once():
    harness = Harness.with_fault("disconnect", layer="ws", after=3)
    link = harness.connect()
    link.send(1, 2, 3, 4)
    assert (link.seqs(), link.aborts, link.closes) == ([1, 2, 3], 1, [])
    link.send(5, 6)
    assert link.aborts == 1
    assert [(e["action"], e["channel"], e["seq"], e["how"]) for e in harness.events()] == [
        ("disconnect", "TICKER", 4, "reset")
    ]


def test_close_sends_a_clean_close_with_the_code():
    harness = Harness.with_fault("disconnect", layer="ws", how="close", close_code=4000, first=1)
    link = harness.connect()
    link.send(1)
    assert (link.closes, link.aborts) == ([(4000, "closed by fault injection")], 0)


def test_the_seed_decides_which_message_ends_the_connection():
    assert disconnected_at(5) == disconnected_at(5) == [4]
    assert disconnected_at(6) == [9]


def test_after_ms_closes_on_the_clock():
    harness = Harness.with_fault("disconnect", layer="ws", how="close", after_ms="500ms", probability=0)
    link = harness.connect()
    link.send(1)
    harness.advance(499.9)
    assert link.closes == []
    harness.advance(0.1)
    assert link.closes == [(1001, "closed by fault injection")]
    [event] = harness.events()
    assert (event["action"], event["connection"], event["how"], since_start(event)) == (
        "disconnect_after",
        "ws-1",
        "close",
        500,
    )
    harness.advance(10_000)
    assert len(link.closes) == 1


def test_after_ms_resets_tcp_connections():
    harness = Harness.with_fault("disconnect", layer="tcp", after_ms=250, probability=0)
    link = harness.connect("tcp")
    harness.advance(250)
    assert (link.aborts, link.closes) == (1, [])


def test_after_ms_waits_for_the_schedule_to_start_the_fault():
    harness = Harness.with_fault("disconnect", layer="ws", how="close", after_ms=500, start="10s")
    link = harness.connect()
    harness.advance(9999)
    assert link.closes == []
    harness.advance(1)
    assert len(link.closes) == 1
    assert since_start(harness.events()[0]) == 10_000


def test_after_ms_does_nothing_once_the_connection_is_gone():
    harness = Harness.with_fault("disconnect", layer="ws", after_ms=500)
    link = harness.connect()
    harness.controller.disconnect(link.connection)
    harness.advance(1000)
    assert (link.aborts, harness.events()) == (0, [])


def test_close_codes_a_close_frame_cannot_carry_are_refused():
    with pytest.raises(FaultSpecError, match="close_code"):
        parse_fault("f", {"mode": "disconnect", "how": "close", "close_code": "1006"}, mode_for)
