"""Mode parameters: durations in ms from text or numbers, bounds and choices, every problem at once."""

import pytest

from exchangesim.failures.params import BOOLEAN, DURATION, INTEGER, NUMBER, TEXT, Parameter, parse_parameters


@pytest.mark.parametrize(
    ("given", "milliseconds"),
    [
        ("250", 250.0),
        ("250ms", 250.0),
        (" 250 ms ", 250.0),
        ("1.5s", 1500.0),
        ("2m", 120_000.0),
        (".5s", 500.0),
        ("0", 0.0),
        (250, 250.0),
        (12.5, 12.5),
    ],
)
def test_a_duration_is_milliseconds_from_text_with_a_unit_or_a_bare_number(given, milliseconds):
    assert DURATION.convert(given) == milliseconds


@pytest.mark.parametrize("given", ["-250ms", "-1", -5, -0.5])
def test_a_negative_duration_is_refused_saying_so(given):
    with pytest.raises(ValueError, match="a duration cannot be negative"):
        DURATION.convert(given)


@pytest.mark.parametrize("given", [True, False, "soon", "5 hours", "1h", "ms", "", "1.5.2s"])
def test_a_duration_that_is_not_one_is_refused_with_examples(given):
    with pytest.raises(ValueError, match=r"expected a duration such as 250ms, 1\.5s or 2m"):
        DURATION.convert(given)


@pytest.mark.parametrize("given", [float("inf"), float("nan")])
def test_an_infinite_or_undefined_duration_is_refused(given):
    with pytest.raises(ValueError):
        DURATION.convert(given)


def test_a_duration_is_written_back_in_ms():
    assert DURATION.format(1500.0) == "1500ms"


def test_numbers_are_held_within_their_bounds_and_named_with_their_unit():
    rate = Parameter("rate", NUMBER, 1.0, "How many.", "messages/s", low=0.5, high=10)
    assert rate.parse("2.5") == 2.5
    assert rate.parse(10) == 10.0
    with pytest.raises(ValueError, match=r"^must be at least 0\.5 messages/s$"):
        rate.parse("0.1")
    with pytest.raises(ValueError, match=r"^must be at most 10 messages/s$"):
        rate.parse(11)


def test_a_duration_bound_is_written_in_ms():
    hold = Parameter("hold_ms", DURATION, 100.0, "How long.", "ms", low=1, high=60_000)
    assert hold.parse("1.5s") == 1500.0
    with pytest.raises(ValueError, match=r"^must be at most 60000ms$"):
        hold.parse("2m")
    with pytest.raises(ValueError, match=r"^must be at least 1ms$"):
        hold.parse("0.5")


def test_text_must_be_one_of_the_choices_and_the_message_lists_them():
    shape = Parameter("distribution", TEXT, "uniform", "How.", choices=("uniform", "normal", "pareto"))
    assert shape.parse(" normal ") == "normal"
    with pytest.raises(ValueError, match=r"^expected one of uniform, normal, pareto$"):
        shape.parse("gaussian")


@pytest.mark.parametrize(
    ("kind", "given", "reason"),
    [
        (INTEGER, "2.5", "expected a whole number"),
        (INTEGER, True, "expected a whole number"),
        (NUMBER, "lots", "expected a number"),
        (NUMBER, True, "expected a number"),
        (BOOLEAN, "perhaps", "expected true or false"),
        (TEXT, 5, "expected text"),
    ],
)
def test_each_kind_refuses_what_it_cannot_read(kind, given, reason):
    with pytest.raises(ValueError, match=reason):
        Parameter("key", kind, None, "Doc.").parse(given)


@pytest.mark.parametrize("given", ["", "  ", None])
def test_an_optional_parameter_given_empty_keeps_its_default(given):
    assert Parameter("duration", DURATION, None, "Empty: for ever.", "ms").parse(given) is None


def test_a_parameter_with_a_default_given_empty_is_still_checked():
    with pytest.raises(ValueError):
        Parameter("hold_ms", DURATION, 100.0, "How long.", "ms").parse("")


DECLARED = (
    Parameter("base_ms", DURATION, 100.0, "Base.", "ms"),
    Parameter("copies", INTEGER, 1, "Copies.", low=1, high=10),
    Parameter("shape", TEXT, "uniform", "Shape.", choices=("uniform", "normal")),
    Parameter("hang", BOOLEAN, False, "Hang."),
    Parameter("limit", INTEGER, None, "Limit (empty: none)."),
)


def test_parse_parameters_types_what_is_given_and_fills_in_defaults():
    values, problems = parse_parameters(DECLARED, {"base_ms": "1.5s", "hang": "yes"})
    assert problems == []
    assert values == {"base_ms": 1500.0, "copies": 1, "shape": "uniform", "hang": True, "limit": None}


def test_parse_parameters_collects_every_problem_and_still_gives_every_key():
    values, problems = parse_parameters(
        DECLARED, {"base_ms": "-3s", "copies": "11", "shape": "pareto", "hang": "maybe", "limit": "x"}
    )
    assert problems == [
        ("base_ms", "a duration cannot be negative"),
        ("copies", "must be at most 10"),
        ("shape", "expected one of uniform, normal"),
        ("hang", "expected true or false"),
        ("limit", "expected a whole number"),
    ]
    assert set(values) == {parameter.name for parameter in DECLARED}


def test_parse_parameters_ignores_keys_it_does_not_declare():
    values, problems = parse_parameters(DECLARED, {"mode": "delay", "probability": "0.5"})
    assert problems == []
    assert "mode" not in values


def test_describe_gives_the_declaration_as_json():
    described = DECLARED[1].describe()
    assert described == {
        "name": "copies",
        "kind": "integer",
        "default": 1,
        "doc": "Copies.",
        "low": 1,
        "high": 10,
    }
    assert DECLARED[0].describe()["unit"] == "ms"
    assert DECLARED[2].describe()["choices"] == ("uniform", "normal")
