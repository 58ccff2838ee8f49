"""A fault at run time: its schedule on the clock, count triggers, seeded decisions, targeting, audit."""

import json
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.task import Clock

from exchangesim.failures.audit import AuditLog
from exchangesim.failures.connections import FaultyConnection
from exchangesim.failures.fault import Fault, Scope
from exchangesim.failures.registry import mode_for
from exchangesim.failures.spec import parse_fault


def fault_of(raw, clock=None, seed=7, audit=None, name="f"):
    spec = parse_fault(name, raw, mode_for)
    return Fault(spec, mode_for(spec.mode), clock or Clock(), seed, audit or AuditLog())


def message_fields(data):
    """The targeting fields of a native WS message."""
    message = json.loads(data)
    return {key: message[key] for key in ("channel", "symbol", "seq") if key in message}


def scope_of(fault, key="ws-1/out", layer="ws", describe=message_fields, connection=None, direction=None):
    return Scope(fault, layer, key, describe, connection, direction)


def message(channel="BOOK", symbol="BTC/USD", seq=1):
    return json.dumps({"type": "UPDATE", "channel": channel, "symbol": symbol, "seq": seq}).encode()


def decisions(fault, scope, count, subject=None):
    """Whether the fault hits each of ``count`` messages; a hit is recorded, as an effect acting does."""
    hit = []
    for index in range(count):
        data = subject or message(seq=index)
        hit.append(fault.fires(scope, data))
        if hit[-1]:
            fault.record("reorder", scope, data)
    return hit


def connection(account=None, ordinal=1):
    link = FaultyConnection("ws", "127.0.0.1:50000", {"out": [].append}, message_fields, None, None)
    link.ordinal, link.id, link.account = ordinal, f"ws-{ordinal}", account
    return link


# -- the schedule ------------------------------------------------------------------------------------


def test_without_schedule_a_fault_is_live_at_once_and_for_ever():
    clock = Clock()
    fault = fault_of({"mode": "reorder"}, clock)
    assert fault.live()
    assert fault.until_change() is None
    clock.advance(86_400)
    assert fault.live()


def test_start_delays_the_fault_from_its_installation():
    clock = Clock()
    clock.advance(50)
    fault = fault_of({"mode": "reorder", "start": "100ms"}, clock)
    assert not fault.live()
    assert fault.until_change() == 0.1
    clock.advance(0.1)
    assert fault.live()
    assert fault.until_change() is None


def test_duration_ends_the_fault():
    clock = Clock()
    fault = fault_of({"mode": "reorder", "start": "100ms", "duration": "200ms"}, clock)
    live, waits = [], []
    for _ in range(8):
        live.append(fault.live())
        waits.append(fault.until_change())
        clock.advance(0.05)
    assert live == [False, False, True, True, True, True, False, False]
    assert waits[:6] == pytest.approx([0.1, 0.05, 0.2, 0.15, 0.1, 0.05])
    assert waits[6:] == [None, None]


def test_period_makes_the_fault_flap():
    clock = Clock()
    fault = fault_of({"mode": "reorder", "start": "1s", "duration": "100ms", "period": "300ms"}, clock)
    clock.advance(1)
    live = []
    for _ in range(12):
        live.append(fault.live())
        clock.advance(0.05)
    assert live == [True, True, False, False, False, False] * 2
    clock.advance(0.05)  # 650 ms after the start: 50 ms into the third window
    assert fault.live()
    assert fault.until_change() == pytest.approx(0.05)
    clock.advance(0.05)
    assert not fault.live()
    assert fault.until_change() == pytest.approx(0.2)


@given(
    installed_at=st.floats(min_value=1e9, max_value=2.1e9),
    start=st.integers(0, 5000),
    duration=st.integers(1, 5000),
    pause=st.integers(1, 5000),
)
def test_each_wait_the_schedule_asks_for_lands_on_a_change_even_at_epoch_times(
    installed_at, start, duration, pause
):
    """Epoch seconds as floats are coarse: a timer set for a boundary must find the fault turned, and
    never ask for a wait too short to move the clock (which would spin for ever)."""
    clock = Clock()
    clock.advance(installed_at)
    raw = {"mode": "reorder", "start": start, "duration": duration, "period": duration + pause}
    fault = fault_of(raw, clock)
    live = fault.live()
    for _ in range(7):
        wait = fault.until_change()
        before = clock.seconds()
        clock.advance(wait)
        assert clock.seconds() > before
        assert fault.live() is not live
        live = not live


# -- triggers ----------------------------------------------------------------------------------------


def test_first_hits_only_the_first_eligible_ones():
    fault = fault_of({"mode": "reorder", "first": "2"})
    assert decisions(fault, scope_of(fault), 5) == [True, True, False, False, False]


def test_nth_hits_every_nth_eligible_one():
    fault = fault_of({"mode": "reorder", "nth": "3"})
    assert decisions(fault, scope_of(fault), 7) == [False, False, True, False, False, True, False]


def test_after_lets_the_first_ones_through():
    fault = fault_of({"mode": "reorder", "after": "2"})
    assert decisions(fault, scope_of(fault), 4) == [False, False, True, True]


def test_after_then_first_then_nth_count_from_the_first_eligible_one():
    fault = fault_of({"mode": "reorder", "after": "1", "first": "4", "nth": "2"})
    assert decisions(fault, scope_of(fault), 7) == [False, False, True, False, True, False, False]


def test_count_stops_the_fault_after_so_many_hits_across_every_scope():
    fault = fault_of({"mode": "reorder", "count": "3"})
    one, other = scope_of(fault, "ws-1/out"), scope_of(fault, "ws-2/out")
    assert decisions(fault, one, 2) == [True, True]
    assert decisions(fault, other, 3) == [True, False, False]
    assert decisions(fault, one, 1) == [False]
    assert fault.hits == 3


def test_count_limits_injections_not_messages_an_effect_let_pass():
    fault = fault_of({"mode": "reorder", "count": "1"})
    scope = scope_of(fault)
    assert fault.fires(scope, message(seq=1))  # looked at, not acted on: nothing recorded
    assert fault.hits == 0
    assert decisions(fault, scope, 2) == [True, False]


def test_first_and_after_count_per_scope():
    fault = fault_of({"mode": "reorder", "after": "1", "first": "1"})
    one, other = scope_of(fault, "ws-1/out"), scope_of(fault, "ws-2/out")
    assert decisions(fault, one, 3) == [False, True, False]
    assert decisions(fault, other, 3) == [False, True, False]


def test_messages_before_the_start_are_not_counted():
    clock = Clock()
    fault = fault_of({"mode": "reorder", "start": "1s", "first": "1"}, clock)
    scope = scope_of(fault)
    assert decisions(fault, scope, 3) == [False, False, False]
    clock.advance(1)
    assert decisions(fault, scope, 2) == [True, False]


def test_probability_zero_never_fires_and_one_always_does():
    never = fault_of({"mode": "reorder", "probability": "0"})
    always = fault_of({"mode": "reorder", "probability": "1"})
    assert not any(decisions(never, scope_of(never), 2000))
    assert all(decisions(always, scope_of(always), 2000))
    assert (never.hits, always.hits) == (0, 2000)


def test_a_probability_hits_about_that_share():
    fault = fault_of({"mode": "reorder", "probability": "0.3"})
    hits = sum(decisions(fault, scope_of(fault), 4000))
    assert 1000 < hits < 1400


# -- determinism -------------------------------------------------------------------------------------


def sequence(seed, scope_key, probability=0.5, name="f", count=200):
    fault = fault_of({"mode": "reorder", "probability": probability}, seed=seed, name=name)
    return decisions(fault, scope_of(fault, scope_key), count)


def test_the_same_seed_fault_and_scope_give_the_same_decisions():
    assert sequence(7, "ws-1/out") == sequence(7, "ws-1/out")


def test_another_scope_fault_or_seed_gives_other_decisions():
    reference = sequence(7, "ws-1/out")
    assert sequence(7, "ws-2/out") != reference
    assert sequence(7, "ws-1/in") != reference
    assert sequence(8, "ws-1/out") != reference
    assert sequence(7, "ws-1/out", name="g") != reference


def test_what_one_scope_sees_does_not_change_another():
    fault = fault_of({"mode": "reorder", "probability": "0.5"})
    alone = fault_of({"mode": "reorder", "probability": "0.5"})
    busy, quiet = scope_of(fault, "ws-1/out"), scope_of(fault, "ws-2/out")
    decisions(fault, busy, 500)
    assert decisions(fault, quiet, 100) == decisions(alone, scope_of(alone, "ws-2/out"), 100)


@given(
    seed=st.integers(0, 2**63),
    scope_key=st.text(min_size=1, max_size=20),
    probability=st.floats(0.05, 0.95),
)
def test_property_same_seed_same_sequence_of_decisions(seed, scope_key, probability):
    assert sequence(seed, scope_key, probability, count=50) == sequence(
        seed, scope_key, probability, count=50
    )


def test_gilbert_elliott_decisions_are_seeded_too():
    raw = {"mode": "drop", "layer": "ws", "model": "gilbert_elliott", "enter_bad": "0.2", "leave_bad": "0.3"}
    first, second = fault_of(raw), fault_of(raw)
    assert decisions(first, scope_of(first), 300) == decisions(second, scope_of(second), 300)


# -- targeting ---------------------------------------------------------------------------------------


def test_symbol_targets_messages_about_that_symbol():
    fault = fault_of({"mode": "reorder", "symbol": "ETH/USD"})
    scope = scope_of(fault)
    assert not fault.fires(scope, message(symbol="BTC/USD"))
    assert fault.fires(scope, message(symbol="ETH/USD"))
    assert not fault.fires(scope, json.dumps({"type": "PONG"}).encode())


def test_channel_targets_by_glob():
    fault = fault_of({"mode": "reorder", "channel": "*TRADE*"})
    scope = scope_of(fault)
    assert [
        fault.fires(scope, message(channel)) for channel in ("BOOK", "TRADES", "MY_TRADES", "ORDERS")
    ] == [
        False,
        True,
        True,
        False,
    ]


def test_targeting_filters_before_counting():
    fault = fault_of({"mode": "reorder", "channel": "TRADES", "first": "1"})
    scope = scope_of(fault)
    assert not fault.fires(scope, message("BOOK"))
    assert fault.fires(scope, message("TRADES"))
    assert not fault.fires(scope, message("TRADES"))


def test_route_targets_rest_requests_by_method_and_path():
    fault = fault_of({"mode": "drop", "route": "POST /api/v1/orders"})
    scope = scope_of(fault, "rest", "rest", describe=lambda request: {})
    assert fault.fires(scope, SimpleNamespace(method="POST", path="/api/v1/orders"))
    assert not fault.fires(scope, SimpleNamespace(method="GET", path="/api/v1/orders"))
    assert not fault.fires(scope, SimpleNamespace(method="POST", path="/api/v1/orders/1"))


def test_account_targets_a_connections_account():
    fault = fault_of({"mode": "reorder", "account": "bob"})
    bob, alice = connection("bob", 1), connection("alice", 2)
    assert fault.fires(scope_of(fault, "ws-1/out", connection=bob, direction="out"), message())
    assert not fault.fires(scope_of(fault, "ws-2/out", connection=alice, direction="out"), message())
    anonymous = connection(None, 3)
    assert not fault.fires(scope_of(fault, "ws-3/out", connection=anonymous, direction="out"), message())


def test_account_targets_a_requests_account_without_a_connection():
    fault = fault_of({"mode": "drop", "layer": "rest", "account": "bob"})
    scope = scope_of(fault, "rest", "rest", describe=lambda request: request)
    assert fault.fires(scope, {"account": "bob"})
    assert not fault.fires(scope, {"account": "alice"})
    assert not fault.fires(scope, {})


def test_targets_checks_layer_direction_and_connection_ordinal():
    fault = fault_of({"mode": "delay", "layer": "ws", "direction": "out", "connection": "2"})
    assert fault.targets("ws", "out", 2)
    assert not fault.targets("ws", "in", 2)
    assert not fault.targets("ws", "out", 1)
    assert not fault.targets("tcp", "out", 2)
    both = fault_of({"mode": "delay", "layer": "ws, tcp"})
    assert all(both.targets(layer, direction, 9) for layer in ("ws", "tcp") for direction in ("in", "out"))
    assert not both.targets("rest")


# -- the audit ---------------------------------------------------------------------------------------


def test_record_writes_what_the_fault_did_where_and_with_which_parameters():
    clock = Clock()
    clock.advance(1_700_000_000.25)
    audit = AuditLog()
    fault = fault_of(
        {"mode": "delay", "layer": "ws", "base_ms": "40", "channel": "BOOK"}, clock, audit=audit, name="slow"
    )
    scope = scope_of(fault, "ws-3/out", connection=connection("bob", 3), direction="out")
    fault.record("delay", scope, message(seq=17), delay_ms=40.0)
    [event] = audit.recent
    assert event == {
        "ts": 1_700_000_000_250,
        "fault": "slow",
        "mode": "delay",
        "action": "delay",
        "layer": "ws",
        "stage": None,
        "connection": "ws-3",
        "direction": "out",
        "account": "bob",
        "channel": "BOOK",
        "symbol": "BTC/USD",
        "seq": 17,
        "delay_ms": 40.0,
        "params": {
            "base_ms": 40.0,
            "jitter_ms": 0.0,
            "distribution": "uniform",
            "correlation": 0.0,
            "pareto_alpha": 2.5,
            "order": "stream",
        },
        "audit_seq": 1,
    }


def test_the_stage_is_recorded_for_requests_only():
    audit = AuditLog()
    fault = fault_of({"mode": "drop", "layer": "rest, ws", "stage": "post_engine"}, audit=audit)
    fault.record(
        "drop", scope_of(fault, "rest", "rest", describe=lambda request: request), {"route": "GET /x"}
    )
    fault.record("drop", scope_of(fault, "ws-1/out", connection=connection(), direction="out"), message())
    rest, ws = audit.recent
    assert (rest["stage"], rest["route"]) == ("post_engine", "GET /x")
    assert ws["stage"] is None
    assert "connection" not in rest
    assert "account" not in ws
    assert audit.counts == {("f", "drop", "post_engine"): 1, ("f", "drop", "ws"): 1}
