"""``delay``: how long each message waits with a seed, order kept, flush on removal, REST verdicts."""

import pytest

from exchangesim.failures import Delay

from .support import Harness, Link, fetch, rest_call, result_of


def send_every_10ms(harness: Harness, seqs) -> tuple[Link, list[float]]:
    """Send one message every 10 ms on a new connection, then wait; the link and the send times (ms)."""
    link = harness.connect()
    sent = []
    for seq in seqs:
        sent.append(harness.now_ms)
        link.send(seq)
        harness.advance(10)
    harness.advance(2000)
    return link, sent


def timeline(seed: int, **keys) -> list[tuple[float, int]]:
    harness = Harness.with_fault("delay", seed, layer="ws", **keys)
    link, _ = send_every_10ms(harness, range(1, 7))
    return link.timeline()


def test_a_fixed_seed_delays_each_message_exactly_so_and_keeps_their_order():
    harness = Harness.with_fault("delay", layer="ws", base_ms=100, jitter_ms=50)
    link, sent = send_every_10ms(harness, range(1, 7))
    events = harness.events("delay")
    assert [(event["seq"], event["channel"], event["delay_ms"]) for event in events] == [
        (1, "TICKER", 103.294),
        (2, "TICKER", 142.606),
        (3, "TICKER", 126.249),
        (4, "TICKER", 149.935),
        (5, "TICKER", 103.133),
        (6, "TICKER", 134.796),
    ]
    # 3 is due at 146.249 and 5 at 143.133, but each waits for the one sent before it.
    assert link.timeline() == [
        (103.294, 1),
        (152.606, 2),
        (152.606, 3),
        (179.935, 4),
        (179.935, 5),
        (184.796, 6),
    ]
    released, expected = 0.0, []
    for at, event in zip(sent, events, strict=True):
        released = max(released, at + event["delay_ms"])
        expected.append(pytest.approx(released, abs=1e-3))
    assert [at for at, _ in link.timeline()] == expected


def test_the_same_seed_gives_the_same_delays_and_another_seed_others():
    keys = {"base_ms": 100, "jitter_ms": 50}
    assert timeline(1234, **keys) == timeline(1234, **keys)
    assert timeline(77, **keys) == [
        (145.877, 1),
        (152.455, 2),
        (155.611, 3),
        (155.611, 4),
        (155.611, 5),
        (199.73, 6),
    ]


def test_nothing_is_delivered_before_its_time():
    harness = Harness.with_fault("delay", layer="ws", base_ms="250ms")
    link = harness.connect()
    link.send(1, 2)
    harness.advance(249.9)
    assert link.seqs() == []
    harness.advance(0.1)
    assert link.timeline() == [(250.0, 1), (250.0, 2)]


def test_messages_the_fault_does_not_hit_wait_behind_held_ones():
    harness = Harness.with_fault("delay", layer="ws", base_ms=20, jitter_ms=200, probability=0.5)
    link, _ = send_every_10ms(harness, range(1, 11))
    assert [event["seq"] for event in harness.events("delay")] == [1, 4, 9]
    assert link.timeline() == [(190.424, seq) for seq in range(1, 9)] + [
        (287.586, 9),
        (287.586, 10),
    ]


def test_correlation_one_gives_every_message_the_first_delay():
    harness = Harness.with_fault("delay", layer="ws", base_ms=20, jitter_ms=200, correlation=1)
    send_every_10ms(harness, range(1, 6))
    delays = [event["delay_ms"] for event in harness.events("delay")]
    assert delays[0] > 20
    assert delays == [delays[0]] * 5


def test_removing_the_fault_delivers_what_it_held_at_once_in_order():
    harness = Harness.with_fault("delay", layer="ws", base_ms=500, jitter_ms=400)
    link = harness.connect()
    link.send(1, 2, 3)
    harness.advance(100)
    assert harness.controller.held_by(harness.controller.faults["f"]) == 3
    harness.controller.remove("f")
    assert link.timeline() == [(100.0, 1), (100.0, 2), (100.0, 3)]
    link.send(4)
    harness.advance(2000)
    assert link.timeline()[3:] == [(100.0, 4)]


def test_rest_verdicts_wait_base_plus_jitter_before_or_after_the_engine():
    calls = [rest_call() for _ in range(5)]
    pre = Harness.with_fault("delay", layer="rest", stage="pre_engine", base_ms=100)
    assert pre.before(calls) == [Delay(0.1)] * 5
    post = Harness.with_fault("delay", layer="rest", stage="post_engine", base_ms="1.5s")
    assert post.after([(call, object()) for call in calls]) == [Delay(1.5)] * 5

    def jittered(seed):
        harness = Harness.with_fault("delay", seed, layer="rest", base_ms=100, jitter_ms=50)
        return [verdict.seconds for verdict in harness.before(calls)]

    assert jittered(1234) == jittered(1234) != jittered(5)
    assert all(0.1 <= seconds <= 0.15 for seconds in jittered(1234))


def test_a_pre_engine_delay_holds_the_request_back_from_the_engine():
    harness = Harness.with_fault("delay", layer="rest", stage="pre_engine", base_ms=100)
    http, orders = harness.http()
    response = fetch(http)
    harness.advance(99.9)
    assert orders.executed == 0
    harness.advance(0.1)
    http.flush()
    assert orders.executed == 1
    assert result_of(response).code == 201
    [event] = harness.events("delay")
    assert (event["route"], event["symbol"], event["delay_ms"]) == ("POST /api/v1/orders", "BTC/USD", 100.0)
