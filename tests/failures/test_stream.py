"""Per-connection effect chains: holding in order on a clock, rebuilding as faults change, flushing."""

import pytest
from twisted.internet.task import Clock

from exchangesim.failures.audit import AuditLog
from exchangesim.failures.fault import Fault, Scope
from exchangesim.failures.mode import FailureMode
from exchangesim.failures.params import DURATION, TEXT, Parameter
from exchangesim.failures.spec import parse_fault
from exchangesim.failures.stream import ORDER, HoldingEffect, Pipeline, StreamEffect


class HoldFor(HoldingEffect):
    """Holds a hit message for the ms its text says (b"150" for 150 ms), or for ``hold_ms``."""

    def inject(self, data):
        self.record("hold", data)
        milliseconds = float(data) if data.isdigit() else self.fault.spec.params["hold_ms"]
        self.hold(data, self.clock.seconds() + milliseconds / 1000)


class Hold(FailureMode):
    name = "hold"
    layers = ("ws",)
    parameters = (
        Parameter("hold_ms", DURATION, 100.0, "How long a non-numeric message is held.", "ms"),
        ORDER,
    )

    def stream_effect(self, fault, scope, downstream):
        return HoldFor(fault, scope, downstream)


class LoseEffect(StreamEffect):
    def inject(self, data):
        self.record("lose", data)


class Lose(FailureMode):
    name = "lose"
    layers = ("ws",)

    def stream_effect(self, fault, scope, downstream):
        return LoseEffect(fault, scope, downstream)


class TagEffect(StreamEffect):
    def inject(self, data):
        self.downstream(data + self.fault.spec.params["tag"].encode())


class Tag(FailureMode):
    name = "tag"
    layers = ("ws",)
    parameters = (Parameter("tag", TEXT, "+", "Appended to each hit message."),)

    def stream_effect(self, fault, scope, downstream):
        return TagEffect(fault, scope, downstream)


MODES = {mode.name: mode for mode in (Hold(), Lose(), Tag())}


def channel_of(data):
    return {"channel": "SLOW" if data.startswith(b"slow") else "FAST"}


class Chain:
    """A pipeline ending in a list, on a clock, and the faults it can be rebuilt with."""

    def __init__(self):
        self.clock = Clock()
        self.clock.advance(1_700_000_000)
        self.audit = AuditLog()
        self.delivered = []
        self.pipeline = Pipeline(self.delivered.append)

    def fault(self, name, **raw):
        spec = parse_fault(name, raw, MODES.__getitem__)
        return Fault(spec, MODES[spec.mode], self.clock, 7, self.audit)

    def rebuild(self, *faults):
        self.pipeline.rebuild(list(faults), self.make)

    def make(self, fault, sink):
        scope = Scope(fault, "ws", "ws-1/out", channel_of, None, "out")
        return fault.mode.stream_effect(fault, scope, sink)

    def send(self, *messages):
        for data in messages:
            self.pipeline.send(data)


@pytest.fixture
def chain():
    return Chain()


# -- HoldingEffect -----------------------------------------------------------------------------------


def test_held_messages_are_released_at_their_time_in_the_order_they_came(chain):
    chain.rebuild(chain.fault("hold", mode="hold"))
    chain.send(b"100", b"50", b"300")
    assert chain.pipeline.held == 3
    assert len(chain.clock.getDelayedCalls()) == 1  # one timer, for the first due
    chain.clock.advance(0.05)
    assert chain.delivered == []  # 50 is due, but waits for 100 held before it
    chain.clock.advance(0.05)
    assert chain.delivered == [b"100", b"50"]
    chain.clock.advance(0.19)
    assert chain.delivered == [b"100", b"50"]
    chain.clock.advance(0.02)
    assert chain.delivered == [b"100", b"50", b"300"]
    assert chain.pipeline.held == 0
    assert chain.clock.getDelayedCalls() == []


def test_a_message_the_fault_does_not_hit_waits_behind_held_ones(chain):
    chain.rebuild(chain.fault("hold", mode="hold", first="1"))
    chain.send(b"200", b"not-hit", b"0")
    assert chain.delivered == []
    assert chain.pipeline.held == 3
    chain.clock.advance(0.2)
    assert chain.delivered == [b"200", b"not-hit", b"0"]
    chain.send(b"after")  # nothing held: straight through
    assert chain.delivered[-1] == b"after"


def test_flush_lets_everything_held_go_at_once_in_order(chain):
    fault = chain.fault("hold", mode="hold")
    chain.rebuild(fault)
    chain.send(b"500", b"100")
    [effect] = chain.pipeline.effects
    effect.flush()
    assert chain.delivered == [b"500", b"100"]
    assert chain.clock.getDelayedCalls() == []


def test_stop_drops_what_is_held_and_then_passes_everything(chain):
    chain.rebuild(chain.fault("hold", mode="hold"))
    chain.send(b"100", b"200")
    [effect] = chain.pipeline.effects
    effect.stop()
    assert effect.held == 0
    assert chain.clock.getDelayedCalls() == []
    chain.clock.advance(1)
    assert chain.delivered == []
    effect.send(b"300")
    assert chain.delivered == [b"300"]


def test_an_effect_records_what_it_did(chain):
    chain.rebuild(chain.fault("drop-all", mode="lose"))
    chain.send(b"slow-1", b"fast-2")
    assert chain.delivered == []
    assert [(event["fault"], event["action"], event["channel"]) for event in chain.audit.recent] == [
        ("drop-all", "lose", "SLOW"),
        ("drop-all", "lose", "FAST"),
    ]


# -- Pipeline ----------------------------------------------------------------------------------------


def test_an_idle_pipeline_sends_straight_to_the_sink(chain):
    assert chain.pipeline.send == chain.delivered.append
    chain.rebuild()
    assert chain.pipeline.send == chain.delivered.append
    chain.rebuild(chain.fault("hold", mode="hold"))
    assert chain.pipeline.send != chain.delivered.append
    chain.rebuild()
    assert chain.pipeline.send == chain.delivered.append
    assert chain.pipeline.effects == []


def test_effects_chain_in_fault_order(chain):
    chain.rebuild(chain.fault("a", mode="tag", tag="a"), chain.fault("b", mode="tag", tag="b"))
    chain.send(b"m")
    assert chain.delivered == [b"mab"]


def test_a_rebuild_keeps_the_effect_of_a_kept_fault_and_what_it_holds(chain):
    hold = chain.fault("hold", mode="hold")
    chain.rebuild(hold)
    chain.send(b"100", b"200")
    [effect] = chain.pipeline.effects
    tag = chain.fault("tag", mode="tag", tag="!")
    chain.rebuild(tag, hold)
    assert chain.pipeline.effects[1] is effect
    assert chain.pipeline.held == 2
    chain.send(b"300")
    chain.clock.advance(0.3)
    assert chain.delivered == [b"100", b"200", b"300!"]


def test_a_removed_fault_lets_what_it_held_go_on_in_order_through_the_rest(chain):
    hold, tag = chain.fault("hold", mode="hold"), chain.fault("tag", mode="tag", tag="!")
    chain.rebuild(hold, tag)
    chain.send(b"900", b"100")
    [removed, kept] = chain.pipeline.effects
    chain.rebuild(tag)
    assert chain.delivered == [b"900!", b"100!"]
    assert removed.stopped
    assert chain.pipeline.effects == [kept]
    assert chain.clock.getDelayedCalls() == []


def test_faults_removed_together_pass_what_they_held_to_the_sink_head_first(chain):
    slow = chain.fault("slow", mode="hold", channel="SLOW", order="connection")
    late = chain.fault("late", mode="hold", first="1", order="connection")
    lose = chain.fault("lose", mode="lose", after="1")
    chain.rebuild(slow, late, lose)
    chain.send(b"fast-1")  # passes slow, held by late
    chain.send(b"slow-2")  # held by slow
    chain.send(b"fast-3")  # waits behind slow-2 in slow
    assert chain.pipeline.held == 3
    chain.rebuild()
    assert chain.delivered == [b"fast-1", b"slow-2", b"fast-3"]  # none lost to the removed lose fault
    assert chain.clock.getDelayedCalls() == []
    assert [event["action"] for event in chain.audit.recent] == ["hold", "hold"]


def test_a_replaced_fault_gets_a_new_effect(chain):
    chain.rebuild(chain.fault("hold", mode="hold"))
    chain.send(b"100")
    [old] = chain.pipeline.effects
    chain.rebuild(chain.fault("hold", mode="hold", hold_ms="5"))
    assert chain.delivered == [b"100"]
    assert chain.pipeline.effects[0] is not old


def test_stopping_a_pipeline_drops_what_is_held_and_empties_it(chain):
    chain.rebuild(chain.fault("hold", mode="hold"), chain.fault("tag", mode="tag"))
    chain.send(b"100")
    effects = chain.pipeline.effects
    chain.pipeline.stop()
    assert all(effect.stopped for effect in effects)
    assert chain.pipeline.effects == []
    assert chain.pipeline.send == chain.delivered.append
    chain.clock.advance(1)
    assert chain.delivered == []
