"""``stall``: nothing delivered while the fault is live, the connection left open; what was held goes
on when the schedule ends it (or is lost with ``release = false``)."""

from exchangesim.failures import Delay, Lose

from .support import Harness, rest_call, since_start


def send_every_50ms(harness: Harness, seqs, direction: str = "out"):
    link = harness.connect()
    for seq in seqs:
        link.send(seq, direction=direction)
        harness.advance(50)
    return link


def test_nothing_arrives_while_live_and_everything_arrives_in_order_when_the_stall_ends():
    harness = Harness.with_fault("stall", layer="ws", duration="1s")
    link = send_every_50ms(harness, range(1, 6))
    harness.advance(749.9)
    assert link.seqs() == []
    assert (link.closes, link.aborts) == ([], 0)
    assert harness.controller.held_by(harness.controller.faults["f"]) == 5
    harness.advance(0.1)
    assert link.timeline() == [(1000.0, seq) for seq in range(1, 6)]
    link.send(6)
    assert link.timeline()[-1] == (1000.0, 6)
    [event] = harness.events()
    assert (event["action"], event["channel"], event["seq"], since_start(event)) == ("stall", "TICKER", 1, 0)


def test_without_release_what_was_held_is_lost_and_each_loss_is_audited():
    harness = Harness.with_fault("stall", layer="ws", duration="1s", release=False)
    link = send_every_50ms(harness, range(1, 4))
    harness.advance(1000)
    link.send(4)
    assert link.timeline() == [(1150.0, 4)]
    assert [(e["action"], e["seq"], since_start(e)) for e in harness.events()] == [
        ("stall", 1, 0),
        ("stall_discard", 1, 1000),
        ("stall_discard", 2, 1000),
        ("stall_discard", 3, 1000),
    ]


def test_the_seed_decides_which_message_starts_the_stall():
    def timeline(seed):
        harness = Harness.with_fault("stall", seed, layer="ws", duration="1s", probability=0.2)
        link = send_every_50ms(harness, range(1, 11))
        harness.advance(1000)
        return link.timeline()

    assert timeline(4) == timeline(4) == [(0.0, 1), (50.0, 2)] + [(1000.0, seq) for seq in range(3, 11)]
    assert timeline(3) == [(0.0, 1), (50.0, 2), (100.0, 3), (150.0, 4), (200.0, 5)] + [
        (1000.0, seq) for seq in range(6, 11)
    ]


def test_a_periodic_stall_holds_only_inside_its_windows():
    harness = Harness.with_fault("stall", layer="ws", start="500ms", duration="1s", period="2s")
    link = harness.connect()
    for at, seq in ((0, 1), (600, 2), (1600, 3), (2600, 4)):
        harness.advance_to(at)
        link.send(seq)
    harness.advance(5000)
    assert link.timeline() == [(0.0, 1), (1500.0, 2), (1600.0, 3), (3500.0, 4)]


def test_inbound_messages_stall_too():
    harness = Harness.with_fault("stall", layer="ws", duration="1s", direction="in")
    link = send_every_50ms(harness, range(1, 3), direction="in")
    link.send(9)
    assert link.seqs() == [9]
    harness.advance(1000)
    assert link.timeline("in") == [(1000.0, 1), (1000.0, 2)]


def test_removing_the_fault_releases_what_it_holds_in_order():
    harness = Harness.with_fault("stall", layer="ws", release=False)
    link = send_every_50ms(harness, range(1, 4))
    harness.controller.remove("f")
    assert link.timeline() == [(150.0, 1), (150.0, 2), (150.0, 3)]


def test_rest_requests_wait_for_the_end_of_the_stall_or_for_ever():
    harness = Harness.with_fault("stall", layer="rest", duration="1s")
    harness.advance(250)
    assert harness.before([rest_call()]) == [Delay(0.75, "stall")]
    endless = Harness.with_fault("stall", layer="rest", stage="post_engine")
    assert endless.after([(rest_call(), object())]) == [Lose(None, "stall")]
