"""Fault specs from INI text or admin JSON: common keys, the mode's schema, and every problem at once."""

import pytest

from exchangesim.failures.registry import mode_for
from exchangesim.failures.spec import FaultSpec, FaultSpecError, parse_fault

BUILT_INS = (
    "bandwidth, corrupt, delay, disconnect, drop, duplicate, error, outage, reorder, slot, stall, throttle"
)


def parse(raw, name="f"):
    return parse_fault(name, raw, mode_for)


def problems(raw, name="f"):
    """The (key, reason) problems of ``raw``, as a dict (one reason per key)."""
    with pytest.raises(FaultSpecError) as caught:
        parse(raw, name)
    assert caught.value.name == name
    found = dict(caught.value.problems)
    assert len(found) == len(caught.value.problems), caught.value.problems
    return found


def resolved(spec: FaultSpec):
    return (
        spec.name,
        spec.mode,
        spec.layers,
        spec.stage,
        spec.direction,
        dict(spec.common),
        dict(spec.params),
    )


def test_ini_text_and_admin_json_give_the_same_fault():
    ini = {
        "mode": "delay",
        "layer": "rest, ws",
        "stage": "post_engine",
        "route": "POST /api/v1/orders",
        "channel": "BOOK*",
        "symbol": "BTC/USD",
        "probability": "0.25",
        "start": "1s",
        "duration": "2s",
        "period": "0.1m",
        "first": "3",
        "base_ms": "250ms",
        "jitter_ms": "0.05s",
        "distribution": "normal",
    }
    json = {
        "mode": "delay",
        "layer": ["rest", "ws"],
        "stage": "post_engine",
        "route": "POST /api/v1/orders",
        "channel": "BOOK*",
        "symbol": "BTC/USD",
        "probability": 0.25,
        "start": 1000,
        "duration": 2000,
        "period": 6000,
        "first": 3,
        "base_ms": 250,
        "jitter_ms": 50,
        "distribution": "normal",
    }
    from_ini, from_json = parse(ini), parse(json)
    assert resolved(from_ini) == resolved(from_json)
    assert from_ini.describe()["resolved"] == from_json.describe()["resolved"]
    assert from_ini.layers == ("rest", "ws")
    assert (from_ini.probability, from_ini.start, from_ini.duration, from_ini.period) == (
        0.25,
        1000,
        2000,
        6000,
    )
    assert from_ini.params == {
        "base_ms": 250.0,
        "jitter_ms": 50.0,
        "distribution": "normal",
        "correlation": 0.0,
        "pareto_alpha": 2.5,
        "order": "stream",
    }
    assert from_ini.given == ini


def test_defaults_of_a_bare_fault():
    spec = parse({"mode": "reorder"})
    assert spec.layers == ("ws",)
    assert spec.stage is None
    assert spec.direction == "both"
    assert spec.probability == 1.0
    assert (spec.start, spec.duration, spec.period) == (0.0, None, None)
    assert (spec.first, spec.nth, spec.after, spec.count) == (None, None, 0, None)
    assert spec.params == {"gap": 2, "hold_ms": 1000.0}


def test_a_common_key_reads_as_an_attribute_and_other_names_do_not():
    spec = parse({"mode": "reorder", "probability": "0.5"})
    assert spec.probability == 0.5
    with pytest.raises(AttributeError):
        spec.no_such_key  # noqa: B018


def test_describe_shows_the_keys_as_given_and_what_they_resolved_to():
    described = parse(
        {"mode": "drop", "layer": "rest", "route": "POST /api/v1/orders"}, "ack-loss"
    ).describe()
    assert described["name"] == "ack-loss"
    assert described["mode"] == "drop"
    assert described["given"] == {"mode": "drop", "layer": "rest", "route": "POST /api/v1/orders"}
    assert described["resolved"]["layer"] == ["rest"]
    assert described["resolved"]["stage"] == "pre_engine"
    assert described["resolved"]["model"] == "bernoulli"
    assert "duration" not in described["resolved"]  # unset keys are left out


def test_an_unknown_key_suggests_the_nearest_one():
    found = problems({"mode": "delay", "layer": "ws", "probabilty": "0.5", "jiter_ms": "5"})
    assert found["probabilty"] == "unknown key for mode delay; did you mean 'probability'?"
    assert found["jiter_ms"] == "unknown key for mode delay; did you mean 'jitter_ms'?"


def test_an_unknown_key_far_from_all_lists_the_known_ones():
    reason = problems({"mode": "reorder", "xyzzy": "1"})["xyzzy"]
    assert reason.startswith("unknown key for mode reorder; known: ")
    assert "gap" in reason and "probability" in reason and "hold_ms" in reason


def test_an_unknown_mode_names_the_installed_ones():
    with pytest.raises(FaultSpecError) as caught:
        parse({"mode": "dorp", "probability": "2"})
    [(key, reason)] = caught.value.problems  # nothing else can be checked without the mode
    assert key == "mode"
    assert "unknown failure mode 'dorp'" in reason
    assert BUILT_INS in reason
    assert "did you mean 'drop'?" in reason


@pytest.mark.parametrize("raw", [{}, {"mode": ""}, {"mode": "  "}, {"mode": 5}])
def test_the_mode_is_required(raw):
    assert problems(raw) == {"mode": "required: the failure mode, such as drop or delay"}


@pytest.mark.parametrize("name", ["", "has space", "slash/es", "x" * 65])
def test_a_bad_fault_name_is_refused(name):
    assert "is not a fault name" in problems({"mode": "drop"}, name)[None]


@pytest.mark.parametrize("name", ["events", "modes", "connections", "halt", "resume"])
def test_names_of_admin_routes_are_refused(name):
    assert "names an admin route" in problems({"mode": "drop", "layer": "ws"}, name)[None]


@pytest.mark.parametrize("mode", ["outage", "stall"])
def test_a_mode_that_mutes_tcp_connections_needs_an_end_there(mode):
    assert "shut out the admin API" in problems({"mode": mode, "layer": "tcp"})["duration"]
    assert parse({"mode": mode, "layer": "tcp", "duration": "5s"}).duration == 5000
    assert parse({"mode": mode, "layer": "ws"}).duration is None


def test_the_layer_is_required_when_the_mode_acts_on_several_and_nothing_implies_one():
    assert problems({"mode": "drop"}) == {"layer": "required: mode drop acts on rest, ws"}
    assert problems({"mode": "delay", "symbol": "BTC/USD"}) == {
        "layer": "required: mode delay acts on rest, ws, tcp"
    }


@pytest.mark.parametrize(
    ("raw", "layers"),
    [
        ({"mode": "drop", "route": "POST /api/v1/orders"}, ("rest",)),
        ({"mode": "drop", "stage": "post_engine"}, ("rest",)),
        ({"mode": "drop", "channel": "BOOK"}, ("ws",)),
        ({"mode": "reorder"}, ("ws",)),
        ({"mode": "error"}, ("rest",)),
        ({"mode": "delay", "layer": "tcp"}, ("tcp",)),
    ],
)
def test_the_layer_is_inferred_from_the_mode_or_the_keys_only_one_layer_has(raw, layers):
    assert parse(raw).layers == layers


@pytest.mark.parametrize("empty", ["", []])
def test_an_empty_layer_is_no_layer(empty):
    assert parse({"mode": "reorder", "layer": empty}).layers == ("ws",)
    assert problems({"mode": "drop", "layer": empty}) == {"layer": "required: mode drop acts on rest, ws"}


def test_keys_implying_two_layers_leave_the_layer_required():
    found = problems({"mode": "drop", "route": "/api/v1/orders", "channel": "BOOK"})
    assert found["layer"] == "required: mode drop acts on rest, ws"


def test_a_layer_the_mode_does_not_act_on_is_refused_naming_those_it_does():
    assert problems({"mode": "reorder", "layer": "rest"}) == {
        "layer": "mode reorder does not act on rest; it acts on ws"
    }
    assert problems({"mode": "drop", "layer": ["ws", "udp"]}) == {
        "layer": "'udp' is not a layer; layers: rest, ws, tcp"
    }


@pytest.mark.parametrize("layer", [5, {"ws": True}, True])
def test_a_layer_that_is_neither_text_nor_a_list_is_a_problem_not_a_crash(layer):
    assert problems({"mode": "drop", "layer": layer}) == {
        "layer": "expected a layer or a list of layers: rest, ws, tcp"
    }


def test_a_layer_listed_twice_counts_once():
    assert parse({"mode": "drop", "layer": "ws, rest, ws"}).layers == ("ws", "rest")


def test_the_stage_defaults_to_the_first_the_mode_supports():
    assert parse({"mode": "drop", "layer": "rest"}).stage == "pre_engine"
    assert parse({"mode": "corrupt", "layer": "rest"}).stage == "post_engine"


def test_stages_belong_to_the_rest_layer_and_to_those_the_mode_supports():
    assert problems({"mode": "delay", "layer": "ws", "stage": "pre_engine"}) == {
        "stage": "only the rest layer has stages"
    }
    assert problems({"mode": "corrupt", "layer": "rest", "stage": "pre_engine"}) == {
        "stage": "mode corrupt acts at post_engine only"
    }
    assert problems({"mode": "drop", "layer": "rest", "stage": "mid_engine"}) == {
        "stage": "expected one of pre_engine, post_engine"
    }
    assert problems({"mode": "drop", "layer": "rest", "stage": 1}) == {
        "stage": "expected one of pre_engine, post_engine"
    }


def test_a_route_is_a_method_and_a_path_or_a_path():
    assert parse({"mode": "drop", "route": "DELETE /api/v1/orders/*"}).route == "DELETE /api/v1/orders/*"
    assert parse({"mode": "drop", "route": "/api/v1/orders"}).layers == ("rest",)
    assert problems({"mode": "drop", "route": "FETCH /api/v1/orders"}) == {
        "route": "'FETCH' is not an HTTP method; use GET, POST, PUT, PATCH, DELETE"
    }
    assert problems({"mode": "drop", "route": "api/v1/orders"}) == {
        "route": "expected METHOD /path or /path, such as POST /api/v1/orders"
    }


def test_the_route_matcher_tests_method_and_path_glob():
    matches = parse({"mode": "drop", "route": "POST /api/v1/orders*"}).route_matcher()
    assert matches("POST", "/api/v1/orders")
    assert matches("POST", "/api/v1/orders/42")
    assert not matches("GET", "/api/v1/orders")
    assert not matches("POST", "/api/v1/balance")
    any_method = parse({"mode": "drop", "route": "/api/v1/*"}).route_matcher()
    assert any_method("GET", "/api/v1/ticker") and any_method("DELETE", "/api/v1/orders/1")
    assert parse({"mode": "drop", "layer": "rest"}).route_matcher() is None


def test_routes_and_channels_belong_to_their_layers():
    assert problems({"mode": "reorder", "route": "/api/v1/orders"}) == {
        "route": "only the rest layer has routes"
    }
    assert problems({"mode": "error", "channel": "BOOK"}) == {"channel": "only the ws layer has channels"}


def test_direction_is_refused_on_the_rest_layer_and_checked_elsewhere():
    assert problems({"mode": "drop", "layer": "rest", "direction": "in"}) == {
        "direction": "the rest layer has no direction; use stage"
    }
    assert problems({"mode": "drop", "layer": "ws", "direction": "sideways"}) == {
        "direction": "expected one of in, out, both"
    }
    assert parse({"mode": "drop", "layer": "ws", "direction": " out "}).direction == "out"


def test_an_empty_direction_on_the_rest_layer_is_no_direction():
    assert parse({"mode": "drop", "layer": "rest", "direction": ""}).direction == "both"


def test_the_tcp_layer_cannot_target_a_symbol_or_an_account():
    assert problems({"mode": "delay", "layer": "tcp", "symbol": "BTC/USD", "account": "bob"}) == {
        "symbol": "the tcp layer sees bytes and cannot tell the symbol; use layer ws or rest",
        "account": "the tcp layer sees bytes and cannot tell the account; use layer ws or rest",
    }
    assert parse({"mode": "delay", "layer": "tcp, ws", "symbol": "BTC/USD"}).symbol == "BTC/USD"


def test_a_duration_of_zero_is_refused_as_never_acting():
    assert problems({"mode": "reorder", "duration": "0"}) == {
        "duration": "a fault that lasts 0 ms never acts"
    }


def test_a_period_needs_a_duration_shorter_than_itself():
    assert problems({"mode": "reorder", "period": "1s"}) == {
        "period": "needs a duration: the fault acts for duration every period"
    }
    for period in ("1s", "500ms"):
        assert problems({"mode": "reorder", "duration": "1s", "period": period}) == {
            "period": "must be longer than duration, or the fault never pauses"
        }
    assert parse({"mode": "reorder", "duration": "1s", "period": "1.5s"}).period == 1500.0


def test_an_empty_duration_means_for_ever():
    assert parse({"mode": "reorder", "duration": "", "first": ""}).duration is None


@pytest.mark.parametrize("key", ["first", "nth", "count", "connection"])
def test_counts_start_at_one(key):
    assert problems({"mode": "reorder", key: "0"}) == {key: "must be at least 1"}
    assert getattr(parse({"mode": "reorder", key: "1"}), key) == 1


def test_after_may_be_zero_but_not_negative():
    assert parse({"mode": "reorder", "after": "0"}).after == 0
    assert problems({"mode": "reorder", "after": "-1"}) == {"after": "must be at least 0"}


@pytest.mark.parametrize(("given", "reason"), [("1.5", "must be at most 1"), ("-0.1", "must be at least 0")])
def test_a_probability_outside_zero_to_one_is_refused(given, reason):
    assert problems({"mode": "reorder", "probability": given}) == {"probability": reason}


def test_the_modes_own_check_runs_once_its_parameters_are_valid():
    gilbert = {"mode": "drop", "layer": "ws", "model": "gilbert_elliott", "leave_bad": "0"}
    assert problems(gilbert) == {"leave_bad": "0 keeps the link bad for ever once it turns bad"}
    assert problems({**gilbert, "enter_bad": "2"}) == {"enter_bad": "must be at most 1"}


def test_every_problem_is_reported_at_once():
    with pytest.raises(FaultSpecError) as caught:
        parse(
            {
                "mode": "delay",
                "layer": "ws",
                "stage": "pre_engine",
                "route": "POST /api/v1/orders",
                "probability": "2",
                "duration": "soon",
                "first": "0",
                "base_ms": "-5ms",
                "distribution": "gaussian",
                "colour": "red",
            }
        )
    found = dict(caught.value.problems)
    assert set(found) == {
        "stage",
        "route",
        "probability",
        "duration",
        "first",
        "base_ms",
        "distribution",
        "colour",
    }
    assert found["duration"] == "expected a duration such as 250ms, 1.5s or 2m (a bare number is ms)"
    assert found["base_ms"] == "a duration cannot be negative"
    message = str(caught.value)
    assert "probability: must be at most 1" in message
    assert "distribution: expected one of uniform, normal, pareto" in message
    assert message == "; ".join(f"{key}: {reason}" for key, reason in caught.value.problems)
