"""[failures] and [failure:NAME] in INI files and the seed's JSON: loaded as given, checked against each
mode's schema, every problem named with its file, section, key and reason."""

import json
from decimal import Decimal

import pytest

from exchangesim.config import Config, ConfigError
from exchangesim.config_checks import check_config, load_config
from exchangesim.failures.registry import mode_for
from exchangesim.failures.spec import parse_fault

MODES = (
    "bandwidth, corrupt, delay, disconnect, drop, duplicate, error, outage, reorder, slot, stall, throttle"
)


def write(tmp_path, text, name="sim.ini"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def write_json(tmp_path, document, name="config.json"):
    return write(tmp_path, json.dumps(document), name)


def problems_of(*paths):
    with pytest.raises(ConfigError) as caught:
        load_config(paths)
    return caught.value.problems


ACK_LOSS = """\
[failure:ack-loss]
mode = drop
layer = rest
stage = post_engine
route = POST /api/v1/orders
probability = 0.2
"""


def test_failure_sections_load_as_given_into_config_faults(tmp_path):
    config = load_config(
        [write(tmp_path, ACK_LOSS + "[failure:lag]\nmode = delay\nchannel = BOOK\nbase_ms = 1.5s\n")]
    )
    assert config.faults == {
        "ack-loss": {
            "mode": "drop",
            "layer": "rest",
            "stage": "post_engine",
            "route": "POST /api/v1/orders",
            "probability": "0.2",
        },
        "lag": {"mode": "delay", "channel": "BOOK", "base_ms": "1.5s"},
    }
    spec = parse_fault("lag", config.faults["lag"], mode_for)
    assert (spec.layers, spec.params["base_ms"]) == (("ws",), 1500.0)


def test_no_failure_sections_means_no_faults(tmp_path):
    assert load_config([write(tmp_path, "[failures]\nenabled = true\n")]).faults == {}


def test_a_later_file_overrides_keys_of_the_same_section_and_keeps_the_rest(tmp_path):
    first = write(tmp_path, ACK_LOSS, "a.ini")
    second = write(
        tmp_path, "[failure:ack-loss]\nprobability = 0.5\n[failure:more]\nmode = reorder\n", "b.ini"
    )
    config = load_config([first, second])
    assert config.faults["ack-loss"]["probability"] == "0.5"
    assert config.faults["ack-loss"]["route"] == "POST /api/v1/orders"
    assert list(config.faults) == ["ack-loss", "more"]


def test_every_problem_names_the_file_section_key_and_reason_at_once(tmp_path):
    path = write(
        tmp_path,
        "[failure:lag]\nmode = delay\nlayer = ws\nprobability = 2\nbase_ms = -5ms\nbsae_ms = 5\n"
        "[failure:cut]\nmode = disconnect\nlayer = ws\nhow = gently\n",
    )
    found = {(problem.section, problem.key): problem for problem in problems_of(path)}
    assert set(found) == {
        ("failure:lag", "probability"),
        ("failure:lag", "base_ms"),
        ("failure:lag", "bsae_ms"),
        ("failure:cut", "how"),
    }
    assert all(problem.source == path for problem in found.values())
    assert found["failure:lag", "probability"].reason == "must be at most 1"
    assert found["failure:lag", "probability"].value == "2"
    assert found["failure:lag", "base_ms"].reason == "a duration cannot be negative"
    assert "did you mean 'base_ms'?" in found["failure:lag", "bsae_ms"].reason
    assert found["failure:cut", "how"].reason == "expected one of reset, close"
    message = str(ConfigError(list(found.values())))
    assert f"{path}, line 4: [failure:lag] probability = '2': must be at most 1" in message


def test_a_problem_is_blamed_on_the_last_file_that_set_the_section(tmp_path):
    first = write(tmp_path, "[failure:lag]\nmode = delay\nlayer = ws\n", "a.ini")
    second = write(tmp_path, "[failure:lag]\nbase_ms = soon\n", "b.ini")
    [problem] = problems_of(first, second)
    assert (problem.source, problem.section, problem.key) == (second, "failure:lag", "base_ms")


def test_an_unknown_mode_is_a_config_error_listing_the_installed_modes(tmp_path):
    path = write(tmp_path, "[failure:lag]\nmode = latency\n")
    [problem] = problems_of(path)
    assert (problem.source, problem.section, problem.key, problem.value) == (
        path,
        "failure:lag",
        "mode",
        "latency",
    )
    assert "unknown failure mode 'latency'" in problem.reason
    assert MODES in problem.reason


def test_a_section_without_a_mode_or_with_a_bad_name_is_refused(tmp_path):
    path = write(tmp_path, "[failure:lag]\nprobability = 0.5\n[failure:two words]\nmode = drop\nlayer = ws\n")
    found = {(problem.section, problem.key): problem.reason for problem in problems_of(path)}
    assert found == {
        ("failure:lag", "mode"): "required: the failure mode, such as drop or delay",
        ("failure:two words", None): "'two words' is not a fault name of 1 to 64 of [A-Za-z0-9_.-]",
    }


def test_failures_keys_load_typed_and_the_audit_file_is_relative_to_the_ini(tmp_path):
    (tmp_path / "etc").mkdir()
    path = write(
        tmp_path,
        "[failures]\nenabled = yes\nseed = 42\naudit_file = logs/faults.jsonl\nallow_header_control = on\n"
        "max_active_faults = 5\n",
        "etc/sim.ini",
    )
    failures = load_config([path]).failures
    assert failures.enabled is True
    assert failures.seed == 42
    assert failures.audit_file == str(tmp_path / "etc" / "logs" / "faults.jsonl")
    assert failures.allow_header_control is True
    assert failures.max_active_faults == 5


def test_failures_defaults():
    failures = Config().failures
    assert (failures.enabled, failures.seed, failures.audit_file) == (False, None, None)
    assert (failures.allow_header_control, failures.max_active_faults) == (False, 64)


def test_bad_failures_keys_are_reported_together(tmp_path):
    path = write(tmp_path, "[failures]\nseed = -1\nmax_active_faults = 0\nallow_header_control = maybe\n")
    found = {problem.key: problem.reason for problem in problems_of(path)}
    assert found == {
        "seed": "must be at least 0",
        "max_active_faults": "must be between 1 and 10000",
        "allow_header_control": "expected true or false",
    }


def test_more_failure_sections_than_max_active_faults_is_refused(tmp_path):
    sections = "".join(f"[failure:f{index}]\nmode = reorder\n" for index in range(3))
    path = write(tmp_path, "[failures]\nmax_active_faults = 2\n" + sections)
    [problem] = problems_of(path)
    assert (problem.source, problem.section, problem.key) == (path, "failures", "max_active_faults")
    assert problem.reason == "3 [failure:NAME] sections are more than max_active_faults"
    assert load_config([write(tmp_path, "[failures]\nmax_active_faults = 3\n" + sections, "ok.ini")])


def test_a_programmatic_config_is_checked_the_same_way():
    config = Config()
    config.faults["lag"] = {"mode": "delay", "layer": ["ws"], "base_ms": 250}
    assert check_config(config) == []
    config.faults["bad"] = {"mode": "delay", "layer": "ws", "probability": 1.5}
    [problem] = check_config(config)
    assert (problem.source, problem.section, problem.key, problem.value) == (
        "<Config>",
        "failure:bad",
        "probability",
        1.5,
    )


# -- the seed's JSON ---------------------------------------------------------------------------------

SEED = {
    "failures": {
        "enabled": True,
        "modes": {
            "drop_messages": {"enabled": True, "probability": 0.1},
            "delay_messages": {"enabled": True, "min_ms": 50, "max_ms": 200},
            "duplicate_messages": {"enabled": False, "probability": 0.2},
        },
    }
}


def test_the_seeds_failure_modes_map_onto_failure_sections(tmp_path):
    config = load_config([write_json(tmp_path, SEED)])
    assert config.failures.enabled is True
    assert config.faults == {
        "drop_messages": {"mode": "drop", "layer": "ws", "probability": Decimal("0.1")},
        "delay_messages": {
            "mode": "delay",
            "layer": "ws",
            "base_ms": 50,
            "jitter_ms": 150,
            "distribution": "uniform",
        },
    }
    drop = parse_fault("drop_messages", config.faults["drop_messages"], mode_for)
    assert (drop.mode, drop.layers, drop.probability) == ("drop", ("ws",), 0.1)
    delay = parse_fault("delay_messages", config.faults["delay_messages"], mode_for)
    assert (delay.params["base_ms"], delay.params["jitter_ms"], delay.params["distribution"]) == (
        50.0,
        150.0,
        "uniform",
    )


def test_a_seed_delay_with_fractional_bounds_keeps_them(tmp_path):
    document = {"failures": {"modes": {"delay_messages": {"min_ms": 0.5, "max_ms": 2.25}}}}
    config = load_config([write_json(tmp_path, document)])
    spec = parse_fault("delay_messages", config.faults["delay_messages"], mode_for)
    assert (spec.params["base_ms"], spec.params["jitter_ms"]) == (0.5, 1.75)


@pytest.mark.parametrize(
    ("seed_name", "mode"),
    [
        ("duplicate_messages", "duplicate"),
        ("reorder_messages", "reorder"),
        ("corrupt_messages", "corrupt"),
        ("throttle", "throttle"),
    ],
)
def test_the_other_seed_modes_map_onto_their_modes_on_the_ws_layer(tmp_path, seed_name, mode):
    document = {"failures": {"modes": {seed_name: {"probability": 0.25}}}}
    raw = load_config([write_json(tmp_path, document)]).faults[seed_name]
    assert (raw["mode"], raw["layer"]) == (mode, "ws")
    spec = parse_fault(seed_name, raw, mode_for)
    assert (spec.layers, spec.probability) == (("ws",), 0.25)


def test_an_unknown_seed_mode_is_a_config_error_listing_the_modes(tmp_path):
    path = write_json(tmp_path, {"failures": {"modes": {"teleport_messages": {"probability": 0.5}}}})
    [problem] = problems_of(path)
    assert (problem.source, problem.section, problem.key) == (path, "failure:teleport_messages", "mode")
    assert "unknown failure mode 'teleport_messages'" in problem.reason
    assert MODES in problem.reason


def test_a_seed_mode_value_out_of_bounds_names_its_section(tmp_path):
    path = write_json(tmp_path, {"failures": {"modes": {"drop_messages": {"probability": 1.5}}}})
    [problem] = problems_of(path)
    assert (problem.section, problem.key, problem.reason) == (
        "failure:drop_messages",
        "probability",
        "must be at most 1",
    )


def test_seed_modes_that_are_not_objects_are_refused(tmp_path):
    [problem] = problems_of(write_json(tmp_path, {"failures": {"modes": ["drop_messages"]}}))
    assert problem.reason == "failures.modes must be a JSON object of failure modes"
    [problem] = problems_of(write_json(tmp_path, {"failures": {"modes": {"drop_messages": 0.1}}}, "b.json"))
    assert problem.reason == "failures.modes.drop_messages must be a JSON object of keys"


def test_json_may_also_give_failure_sections_directly_with_json_values(tmp_path):
    document = {"failure:lag": {"mode": "delay", "layer": ["ws", "tcp"], "base_ms": 20, "first": 3}}
    config = load_config([write_json(tmp_path, document)])
    spec = parse_fault("lag", config.faults["lag"], mode_for)
    assert (spec.layers, spec.params["base_ms"], spec.first) == (("ws", "tcp"), 20.0, 3)


def test_ini_after_json_overrides_a_seed_mode_key(tmp_path):
    seed = write_json(tmp_path, SEED)
    override = write(tmp_path, "[failure:drop_messages]\nprobability = 0.3\n")
    config = load_config([seed, override])
    assert config.faults["drop_messages"] == {"mode": "drop", "layer": "ws", "probability": "0.3"}
