"""The contract check plugin authors run on their modes: every built-in mode keeps it, and a mode that
breaks it is told what is wrong, where, and what to do."""

import itertools

import pytest

from exchangesim.failures import (
    DURATION,
    INTEGER,
    NUMBER,
    FailureMode,
    HoldingEffect,
    Parameter,
    RequestEffect,
    Rewrite,
    StreamEffect,
)
from exchangesim.failures.modes.delay import Delay
from exchangesim.failures.registry import mode_for, mode_names
from exchangesim.failures.testing import ModeContractError, check_mode


def problems_of(mode) -> list[str]:
    with pytest.raises(ModeContractError) as raised:
        check_mode(mode)
    return raised.value.problems


@pytest.mark.parametrize("name", mode_names())
def test_every_installed_mode_keeps_the_contract(name):
    check_mode(mode_for(name))


def test_a_mode_class_is_checked_as_an_instance_made_without_arguments():
    check_mode(Delay)

    class NeedsArguments(Delay):
        def __init__(self, setting):
            self.setting = setting

    [problem] = problems_of(NeedsArguments)
    assert problem.startswith("cannot be made without arguments: TypeError")


def test_the_error_is_an_assertion_naming_the_mode_and_listing_its_problems():
    with pytest.raises(AssertionError) as raised:
        check_mode(object())
    message = str(raised.value)
    assert message.startswith("failure mode 'object' breaks the contract (1 problem(s)):\n  - ")
    assert "does not provide IFailureMode (subclass exchangesim.failures.FailureMode)" in message


class BadDeclarations(FailureMode):
    name = "bad declarations"
    description = ""
    layers = ("ws", "http")
    stages = ("pre_engine",)
    parameters = (
        Parameter("probability", NUMBER, 0.5, "Clashes with a common key."),
        Parameter("gap_ms", DURATION, -5.0, "A default its own kind refuses.", "ms"),
        Parameter("window_ms", DURATION, "1s", "A default given as text.", "ms"),
        Parameter("size", INTEGER, 3, ""),
        Parameter("count", INTEGER, 3, "A common key too.", low=5, high=1),
    )


def test_every_declaration_problem_is_reported_at_once_with_what_to_do():
    problems = problems_of(BadDeclarations)
    assert problems == [
        "name 'bad declarations': expected a word such as latency_spike (letters, digits, _ . -)",
        "description: expected one line saying what the mode does, for listings",
        "layers: 'http' is not a layer; layers: rest, ws, tcp",
        "stages: only the rest layer has stages; leave stages empty",
        "parameter 'probability': clashes with the common key every fault takes; choose another name",
        "parameter 'gap_ms': default -5.0 is refused by its own declaration: a duration cannot be negative",
        "parameter 'window_ms': default '1s' reads as 1000.0; declare the typed value",
        "parameter 'size': needs a doc, one line saying what it does (listings show it)",
        "parameter 'count': clashes with the common key every fault takes; choose another name",
        "parameter 'count': low 5 is above high 1",
        "parameter 'count': default 3 is refused by its own declaration: must be at least 5",
    ]


def test_a_mode_named_like_an_installed_one_is_told_to_choose_another_name():
    class Impostor(Delay):
        pass

    [problem] = problems_of(Impostor)
    assert problem == (
        "name 'delay' is registered for another mode (exchangesim.failures.modes.delay.Delay); "
        "choose another name"
    )


def test_defaults_that_the_mode_s_own_check_refuses_are_reported():
    class Refusing(FailureMode):
        name = "refusing"
        description = "Refuses its own defaults."
        layers = ("ws",)
        parameters = (Parameter("gap", INTEGER, 0, "Messages between two hits."),)

        def check(self, params):
            return [("gap", "must be more than 0")] if params["gap"] <= 0 else []

    [problem] = problems_of(Refusing)
    assert problem == (
        "check() refuses the defaults, so a section giving only the mode fails: "
        "[('gap', 'must be more than 0')]"
    )


# -- behaviour on the ws and tcp layers --------------------------------------------------------------
def stream_mode(name, effect, layers=("ws",)):
    """A mode acting on ``layers`` through ``effect``, a StreamEffect class."""
    return type(
        name.title().replace("_", ""),
        (FailureMode,),
        {
            "name": name,
            "description": f"A test mode: {name}.",
            "layers": layers,
            "stream_effect": lambda self, fault, scope, downstream: effect(fault, scope, downstream),
        },
    )


class MarksEverything(StreamEffect):
    """Ignores whether the fault fires: acts even at probability 0."""

    def send(self, data):
        self.downstream(data + b"!")


def test_a_mode_acting_at_probability_0_is_caught_with_the_first_changed_message():
    problems = problems_of(stream_mode("marker", MarksEverything, ("ws", "tcp")))
    assert len(problems) == 4  # ws and tcp, each direction
    assert problems[0].startswith(
        "ws out, probability 0: messages must pass unchanged and in order; message 0 was "
        'b\'{"type":"MARKET_DATA","channel":"TICKER"'
    )
    assert problems[3].startswith("tcp in, probability 0: messages must pass unchanged and in order;")
    assert problems[3].endswith("arrived as b'chunk 0000 of an HTTP exchange over tcp\\r\\n!'")


class LosesWhatItHolds(HoldingEffect):
    def inject(self, data):
        self.record("hold", data)
        self.hold(data, self.clock.seconds() + 1.0)

    def flush(self):
        list(self.take_held())  # forgets them: a removed fault must let them go on


def test_a_flush_that_loses_held_messages_is_caught():
    problems = problems_of(stream_mode("forgetful", LosesWhatItHolds))
    assert problems == [
        f"ws {direction}: the effect said it held 24 message(s), removing the fault released 0; "
        "held must count what flush() sends on"
        for direction in ("out", "in")
    ]


class HoldsUncounted(StreamEffect):
    """Holds messages with timers of its own, not counting them, never cancelling them."""

    def inject(self, data):
        self.clock.callLater(1.0, self.downstream, data)


def test_an_effect_whose_timers_outlive_its_fault_is_caught():
    problems = problems_of(stream_mode("leaky", HoldsUncounted))
    assert "ws out: 24 message(s) arrived after the fault was removed and flushed; " in problems[0]
    assert problems[0].endswith("stop() must cancel its timers")


_shared = itertools.count()


class SharesStateAcrossFaults(HoldingEffect):
    """Draws its delays from state shared by every fault, as a mode using the global random would."""

    def inject(self, data):
        self.hold(data, self.clock.seconds() + next(_shared) / 10)


def test_a_mode_that_is_not_deterministic_for_a_seed_is_caught():
    problems = problems_of(stream_mode("shared_state", SharesStateAcrossFaults))
    assert problems[0].startswith("ws out, probability 1: two runs with seed 20240601 differ: event 0 was")


class RaisesOnHit(StreamEffect):
    def inject(self, data):
        raise KeyError("price")


def test_an_effect_that_raises_is_named_with_where():
    problems = problems_of(stream_mode("raising", RaisesOnHit))
    assert problems[0].startswith("ws out: raised KeyError: 'price' (at ")
    assert "test_testing.py:" in problems[0]


# -- behaviour on the rest layer ---------------------------------------------------------------------
class RewritesBeforeTheEngine(RequestEffect):
    def before(self, call):
        return Rewrite(b"{}")


class HalfDone(FailureMode):
    name = "half_done"
    description = "Declares both stages, acts before the engine only, with a verdict it cannot use there."
    layers = ("rest",)
    stages = ("pre_engine", "post_engine")

    def request_effect(self, fault, scope):
        return RewritesBeforeTheEngine(fault, scope)


def test_verdicts_a_stage_cannot_carry_out_and_stages_left_unimplemented_are_caught():
    problems = problems_of(HalfDone)
    assert problems == [
        "rest pre_engine: request 0 got Rewrite(body=b'{}', action='corrupt', detail=()); at pre_engine a "
        "verdict is None or Delay, Answer, Lose, Repeat",
        "rest post_engine: the mode declares this stage; its effect's after() is not implemented "
        "(failure mode half_done does not act at post_engine)",
    ]


def test_a_mode_declaring_rest_without_a_request_effect_is_caught():
    class NoRequests(FailureMode):
        name = "no_requests"
        description = "Declares rest, builds nothing for it."
        layers = ("rest",)
        stages = ("pre_engine",)

    [problem] = problems_of(NoRequests)
    assert problem == (
        "rest pre_engine: the mode declares this layer but does not implement request_effect "
        "(failure mode no_requests does not act on the rest layer)"
    )
