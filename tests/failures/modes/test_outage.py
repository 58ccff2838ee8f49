"""``outage``: the venue is down while live: REST 503, WebSockets closed with the close code (once,
from the outbound side), TCP connections reset; what arrives meanwhile is lost."""

from exchangesim.failures import Answer

from .support import Harness, fetch, rest_call, result_of, since_start


def test_rest_answers_503_with_retry_after_before_the_engine():
    harness = Harness.with_fault("outage", layer="rest", retry_after_ms="10s")
    [answer] = harness.before([rest_call()])
    assert isinstance(answer, Answer)
    assert (answer.status, answer.headers, answer.action) == (503, ((b"retry-after", b"10"),), "outage")
    assert (answer.error.code, answer.error.retry_after_s) == ("SERVICE_UNAVAILABLE", 10)
    http, orders = harness.http()
    response = result_of(fetch(http))
    assert (response.code, orders.executed) == (503, 0)
    assert response.headers.getRawHeaders("retry-after") == ["10"]


def test_which_requests_a_seed_refuses_is_the_same_every_time():
    def refused(seed):
        harness = Harness.with_fault("outage", seed, layer="rest", probability=0.5)
        return [verdict is not None for verdict in harness.before([rest_call() for _ in range(16)])]

    assert refused(1234) == refused(1234) != refused(5)


def test_a_websocket_opened_during_an_outage_is_closed_once_and_what_it_sends_is_lost():
    harness = Harness.with_fault("outage", layer="ws")
    link = harness.connect()
    assert link.closes == []  # not while the connection is being set up
    harness.advance(0)
    assert link.closes == [(1013, "the exchange is down")]
    link.send(1, 2)
    link.send(3, direction="in")
    harness.advance(1000)
    assert (link.seqs(), link.seqs("in"), link.closes, link.aborts) == (
        [],
        [],
        [(1013, "the exchange is down")],
        0,
    )
    assert [(e["action"], e.get("seq"), e["direction"]) for e in harness.events()] == [
        ("outage", None, "out"),
        ("outage_drop", 1, "out"),
        ("outage_drop", 2, "out"),
        ("outage_drop", 3, "in"),
    ]


def test_a_message_sent_before_the_close_is_lost_and_closes_at_once():
    harness = Harness.with_fault("outage", layer="ws")
    link = harness.connect()
    link.send(1)
    assert (link.seqs(), link.closes) == ([], [(1013, "the exchange is down")])
    harness.advance(0)
    assert len(link.closes) == 1


def test_a_scheduled_outage_closes_open_websockets_when_it_starts_and_lets_new_ones_in_when_it_ends():
    harness = Harness.with_fault("outage", layer="ws", start="1s", duration="2s", close_code=1001)
    link = harness.connect()
    link.send(1)
    harness.advance(999.9)
    assert (link.seqs(), link.closes) == ([1], [])
    harness.advance(0.1)
    assert link.closes == [(1001, "the exchange is down")]
    [event] = harness.events()
    assert (event["action"], event["connection"], since_start(event)) == ("outage", "ws-1", 1000)
    during = harness.connect()
    harness.advance(0)
    assert during.closes == [(1001, "the exchange is down")]
    harness.advance(2000)
    after = harness.connect()
    after.send(2)
    harness.advance(1000)
    assert (after.seqs(), after.closes) == ([2], [])
    assert len(link.closes) == 1


def test_tcp_connections_are_reset_not_closed():
    harness = Harness.with_fault("outage", layer="tcp", duration="1m")
    link = harness.connect("tcp")
    harness.advance(0)
    assert (link.aborts, link.closes) == (1, [])
    assert [(e["action"], e["connection"]) for e in harness.events()] == [("outage", "tcp-1")]
