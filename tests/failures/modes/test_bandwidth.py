"""``bandwidth``: at most ``bytes_per_second`` delivered, after a burst, the rest queued in order."""

from .support import Harness, at, message

SIZE = len(message(1))  # 68 bytes


def timeline(seed: int) -> list[tuple[float, int]]:
    harness = Harness.with_fault(
        "bandwidth", seed, layer="ws", bytes_per_second=1000, burst_bytes=SIZE, probability=0.5
    )
    link = harness.connect()
    link.send(*range(1, 9))
    harness.advance(2000)
    return link.timeline()


def test_messages_leave_when_their_bytes_are_paid_for_and_the_audit_says_when():
    harness = Harness.with_fault("bandwidth", layer="ws", bytes_per_second=1000, burst_bytes=100)
    link = harness.connect()
    link.send(*range(1, 6))
    assert link.seqs() == [1]
    harness.advance(35.9)
    assert link.seqs() == [1]
    harness.advance(2000)
    # 100 bytes at once pay for the first and 32 of the second; then 1000 a second.
    assert link.timeline() == [(0.0, 1), (36.0, 2), (104.0, 3), (172.0, 4), (240.0, 5)]
    assert [(e["action"], e["channel"], e["seq"], e["bytes"], e["wait_ms"]) for e in harness.events()] == [
        ("bandwidth_queue", "TICKER", 2, SIZE, 36.0),
        ("bandwidth_queue", "TICKER", 3, SIZE, 104.0),
        ("bandwidth_queue", "TICKER", 4, SIZE, 172.0),
        ("bandwidth_queue", "TICKER", 5, SIZE, 240.0),
    ]


def test_the_same_seed_paces_the_same_messages_and_another_seed_others():
    assert timeline(6) == timeline(6)
    assert timeline(6) == [*at(0, 1, 2, 3, 4), *at(68, 5), *at(136, 6, 7), *at(204, 8)]
    assert timeline(8) == [*at(0, 1, 2, 3), *at(68, 4, 5), *at(136, 6), *at(204, 7), *at(272, 8)]


def test_tcp_bytes_flow_at_the_rate_after_a_tenth_of_a_second_of_burst():
    harness = Harness.with_fault("bandwidth", layer="tcp", bytes_per_second=10_000)
    link = harness.connect("tcp")
    for _ in range(100):
        link.send(b"x" * 500)
    harness.advance(10_000)
    times = [round(ms, 3) for ms, _ in link.delivered["out"]]
    assert len(times) == 100
    assert times[:3] == [0.0, 0.0, 50.0]  # 1000 bytes of burst, then 500 bytes every 50 ms
    assert times[-1] == 4900.0
    for index, ms in enumerate(times):
        assert 500 * (index + 1) <= 1000 + 10 * ms + 1e-6  # never ahead of burst + rate * time


def test_removing_the_fault_sends_what_it_queued_at_once_in_order():
    harness = Harness.with_fault("bandwidth", layer="ws", bytes_per_second=10, burst_bytes=SIZE)
    link = harness.connect()
    link.send(1, 2, 3)
    harness.advance(100)
    harness.controller.remove("f")
    assert link.timeline() == [(0.0, 1), (100.0, 2), (100.0, 3)]
