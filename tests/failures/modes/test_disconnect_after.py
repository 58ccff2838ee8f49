"""``disconnect`` with ``after_ms``: the clock alone ends the connection, ``after_ms`` after it opened
(or after the fault was installed, for one already open), whatever passes meanwhile either way."""

from .support import Harness, since_start


def test_with_the_default_direction_messages_from_the_client_do_not_end_the_connection():
    harness = Harness.with_fault("disconnect", layer="ws", how="close", close_code=4002, after_ms="500ms")
    link = harness.connect()
    link.send(1, direction="in")
    link.send(2, direction="out")
    harness.advance(100)
    link.send(3, direction="in")
    assert (link.closes, link.aborts) == ([], 0)
    assert (link.seqs("in"), link.seqs("out")) == ([1, 3], [2])
    harness.advance(399.9)
    assert link.closes == []
    harness.advance(0.1)
    assert link.closes == [(4002, "closed by fault injection")]
    [event] = harness.events()
    assert (event["action"], event["direction"], since_start(event)) == ("disconnect_after", "out", 500)


def test_on_tcp_bytes_either_way_pass_until_after_ms():
    harness = Harness.with_fault("disconnect", layer="tcp", after_ms=250)
    link = harness.connect("tcp")
    link.send(b"GET / HTTP/1.1\r\n\r\n", direction="in")
    link.send(b"HTTP/1.1 200 OK\r\n\r\n", direction="out")
    assert link.aborts == 0
    harness.advance(250)
    assert link.aborts == 1


def test_a_connection_open_before_the_fault_counts_after_ms_from_the_install():
    harness = Harness()
    link = harness.connect()
    harness.advance(10_000)
    harness.add("disconnect", layer="ws", how="close", after_ms="1s")
    harness.advance(999.9)
    assert link.closes == []
    harness.advance(0.1)
    assert len(link.closes) == 1
    assert since_start(harness.events()[0]) == 11_000


def test_without_after_ms_a_hit_message_either_way_ends_the_connection():
    harness = Harness.with_fault("disconnect", layer="ws", how="close")
    link = harness.connect()
    link.send(1, direction="in")
    assert link.closes == [(1001, "closed by fault injection")]
    assert harness.events()[0]["direction"] == "in"
