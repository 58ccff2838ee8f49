"""``throttle``: messages over the rate queued (released on the clock, in order) or dropped; REST
requests over it answered 429 with Retry-After, one bucket per connection, account, key or IP."""

import pytest

from exchangesim.failures import Answer

from .support import Harness, fetch, message, rest_call, result_of


def timeline(seed: int, **keys) -> list[tuple[float, int]]:
    harness = Harness.with_fault("throttle", seed, layer="ws", **keys)
    link = harness.connect()
    link.send(*range(1, 11))
    harness.advance(1000)
    return link.timeline()


def test_queued_messages_leave_at_the_rate_in_order_and_the_audit_says_how_long_they_wait():
    harness = Harness.with_fault("throttle", layer="ws", rate=10, burst=2)
    link = harness.connect()
    link.send(*range(1, 7))
    assert link.seqs() == [1, 2]
    harness.advance(1000)
    assert link.timeline() == [(0.0, 1), (0.0, 2), (100.0, 3), (200.0, 4), (300.0, 5), (400.0, 6)]
    assert [(e["action"], e["channel"], e["seq"], e["wait_ms"]) for e in harness.events()] == [
        ("throttle_queue", "TICKER", 3, 100.0),
        ("throttle_queue", "TICKER", 4, 200.0),
        ("throttle_queue", "TICKER", 5, 300.0),
        ("throttle_queue", "TICKER", 6, 400.0),
    ]


def test_the_same_seed_throttles_the_same_messages_and_another_seed_others():
    keys = {"rate": 10, "burst": 1, "probability": 0.5}
    assert timeline(1234, **keys) == timeline(1234, **keys)
    # Messages the fault does not count still wait behind the queued ones.
    assert timeline(1234, **keys) == [(0.0, seq) for seq in range(1, 5)] + [
        (100.0, seq) for seq in range(5, 11)
    ]
    assert timeline(9, **keys) == [
        (0.0, 1),
        (0.0, 2),
        (100.0, 3),
        *[(200.0, seq) for seq in range(4, 9)],
        (300.0, 9),
        (300.0, 10),
    ]


def test_drop_overflow_loses_what_is_over_the_rate_and_lets_the_next_token_through_on_time():
    harness = Harness.with_fault("throttle", layer="ws", rate=10, burst=2, overflow="drop")
    link = harness.connect()
    link.send(*range(1, 7))
    harness.advance(100)
    link.send(7, 8)
    harness.advance(1000)
    assert link.timeline() == [(0.0, 1), (0.0, 2), (100.0, 7)]
    assert [(e["action"], e["seq"]) for e in harness.events()] == [
        ("throttle_drop", 3),
        ("throttle_drop", 4),
        ("throttle_drop", 5),
        ("throttle_drop", 6),
        ("throttle_drop", 8),
    ]


def test_a_byte_rate_paces_by_message_size():
    size = len(message(1))
    harness = Harness.with_fault("throttle", layer="ws", rate=1000, unit="byte", burst=200)
    link = harness.connect()
    link.send(*range(1, 6))
    harness.advance(1000)
    # 200 bytes at once, then 1000 a second: each message leaves when its bytes are paid for.
    assert link.timeline() == [
        (0.0, 1),
        (0.0, 2),
        (3 * size - 200, 3),
        (4 * size - 200, 4),
        (5 * size - 200, 5),
    ]


def test_rest_refuses_with_429_and_retry_after_once_the_bucket_is_empty():
    harness = Harness.with_fault("throttle", layer="rest", rate=2, burst=2, per="all")
    verdicts = harness.before([rest_call() for _ in range(3)])
    assert verdicts[:2] == [None, None]
    refusal = verdicts[2]
    assert isinstance(refusal, Answer)
    assert (refusal.status, refusal.headers, refusal.action) == (429, ((b"retry-after", b"1"),), "throttle")
    assert (refusal.error.code, refusal.error.status) == ("THROTTLED", 429)
    harness.advance(500)
    assert harness.before([rest_call(), rest_call()]) == [None, refusal]


def test_retry_after_is_whole_seconds_rounded_up():
    harness = Harness.with_fault("throttle", layer="rest", rate=0.4, burst=1, per="all", status=503)
    [passed, refused] = harness.before([rest_call(), rest_call()])
    assert passed is None
    assert (refused.status, refused.headers) == (503, ((b"retry-after", b"3"),))  # 2.5 s away


@pytest.mark.parametrize(
    ("per", "first", "other"),
    [
        ("ip", {"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}),
        ("key", {"key": "key-a"}, {"key": "key-b"}),
        ("account", {"account": "alice"}, {"account": "bob"}),
        ("route", {"path": "/api/v1/orders"}, {"path": "/api/v1/balances"}),
    ],
)
def test_each_client_has_its_own_bucket(per, first, other):
    harness = Harness.with_fault("throttle", layer="rest", rate=1, burst=1, per=per)
    verdicts = harness.before(
        [rest_call(**first), rest_call(**first), rest_call(**other), rest_call(**first)]
    )
    assert [verdict is None for verdict in verdicts] == [True, False, True, False]


def test_each_connection_has_its_own_bucket_and_a_new_connection_starts_full():
    class Channel:
        pass

    harness = Harness.with_fault("throttle", layer="rest", rate=1, burst=1, per="connection")
    first, second = Channel(), Channel()
    verdicts = harness.before([rest_call(channel=first), rest_call(channel=first), rest_call(channel=second)])
    assert [verdict is None for verdict in verdicts] == [True, False, True]
    del first, second, verdicts  # the connections close; later ones may reuse their memory
    for _ in range(20):
        assert harness.before([rest_call(channel=Channel())]) == [None]


def test_a_throttled_request_never_reaches_the_engine():
    harness = Harness.with_fault("throttle", layer="rest", rate=1, burst=1, per="ip")
    http, orders = harness.http()
    responses = [fetch(http), fetch(http)]
    http.flush()
    first, second = map(result_of, responses)
    assert (first.code, second.code, orders.executed) == (201, 429, 1)
    assert second.headers.getRawHeaders("retry-after") == ["1"]
    [event] = harness.events()
    assert (event["action"], event["route"]) == ("throttle", "POST /api/v1/orders")
    assert event["engine_effect"].startswith("none")
