"""latency_spike keeps exchangesim's contract for failure modes, and its spikes delay what they should.

Run with ``pip install -e '.[test]'`` then ``pytest`` in this folder.
"""

from exchangesim_latency_spike import LatencySpike
from twisted.internet.task import Clock

from exchangesim.config import FailuresConfig
from exchangesim.failures.connections import FaultyConnection
from exchangesim.failures.controller import FaultController
from exchangesim.failures.testing import check_mode

EXTRA_MS = 100
SPIKE_MS = 50
STEP_MS = 10


def test_latency_spike_keeps_the_exchangesim_contract():
    check_mode(LatencySpike)


def test_every_message_of_a_spike_waits_extra_ms_and_the_order_is_kept():
    clock = Clock()
    controller = FaultController(FailuresConfig(enabled=True), clock, 7, lambda name: LatencySpike())
    keys = {"mode": "latency_spike", "layer": "ws", "probability": "0.1", "extra_ms": f"{EXTRA_MS}ms"}
    controller.apply([controller.parse("spiky", {**keys, "spike_ms": f"{SPIKE_MS}ms"})])
    arrived = {}
    link = FaultyConnection(
        "ws",
        "127.0.0.1:40000",
        {"out": lambda data: arrived.setdefault(int(data), round(clock.seconds() * 1000)), "in": None},
        lambda data: {"seq": int(data)},
        lambda code, reason: None,
        lambda: None,
    )
    controller.connect(link)
    sent = {}
    for seq in range(200):
        sent[seq] = round(clock.seconds() * 1000)
        link.pipelines["out"].send(b"%d" % seq)
        clock.advance(STEP_MS / 1000)
    for _ in range(EXTRA_MS // STEP_MS):
        clock.advance(STEP_MS / 1000)

    assert list(arrived) == list(range(200))  # all of them, in order
    events = [event for event in controller.audit.recent if event["action"] == "latency_spike"]
    delayed = {event["seq"] for event in events}
    assert {seq for seq in sent if arrived[seq] - sent[seq] >= EXTRA_MS} == delayed
    assert all(arrived[seq] - sent[seq] <= EXTRA_MS + STEP_MS for seq in delayed)
    starts = [event["seq"] for event in events if event["spike_start"]]
    assert 5 <= len(starts) <= 40  # about one message in ten outside a spike starts one
    for start in starts:  # a spike delays every message sent while it lasts
        within = {seq for seq in sent if 0 <= sent[seq] - sent[start] < SPIKE_MS}
        assert within <= delayed
    for seq in set(sent) - delayed:  # one not hit waits only behind delayed ones
        assert arrived[seq] - sent[seq] < EXTRA_MS
