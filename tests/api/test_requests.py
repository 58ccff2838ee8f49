"""``json_too_deep``: the nesting of JSON text, told without parsing it (so without recursing)."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchangesim.api.requests import MAX_JSON_DEPTH, json_too_deep


def nested(depth: int, inside: str = "1") -> str:
    """``inside`` within ``depth`` levels, alternating arrays and objects."""
    text = inside
    for level in range(depth):
        text = f"[{text}]" if level % 2 else f'{{"k": {text}}}'
    return text


def depth_of(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


@pytest.mark.parametrize("depth", [1, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH])
def test_nesting_up_to_the_limit_passes(depth):
    assert not json_too_deep(nested(depth))
    assert not json_too_deep(nested(depth).encode())


def test_one_level_more_is_too_deep():
    assert json_too_deep(nested(MAX_JSON_DEPTH + 1))
    assert json_too_deep(nested(3), limit=2) and not json_too_deep(nested(2), limit=2)


def test_tens_of_thousands_of_levels_are_found_without_recursing():
    assert json_too_deep(b"[" * 100_000 + b"]" * 100_000)
    assert json_too_deep(b'{"a":' * 30_000 + b"1" + b"}" * 30_000)
    assert json_too_deep("[" * 100_000)  # never closed: the parser would still recurse through them


def test_brackets_inside_strings_do_not_count():
    many = json.dumps(["[" * 500, "{" * 500, "]" * 500, {"k": "[[[[" * 100}])
    assert not json_too_deep(many)
    assert not json_too_deep(json.dumps({"quote": 'a"' + "[" * 100, "slash": "\\" * 3 + "[" * 100}))


def test_many_shallow_brackets_are_not_deep():
    book = json.dumps({"bids": [[f"{p}.5", "1"] for p in range(500)], "asks": [[1, 2]] * 500})
    assert not json_too_deep(book)
    assert not json_too_deep(b"[" + b"[],[[]]," * 1000 + b"[]]")


def test_text_that_is_not_json_is_counted_by_its_brackets_outside_strings():
    assert not json_too_deep('{"unterminated": "' + "[" * 100)
    assert json_too_deep("]" + "[" * (MAX_JSON_DEPTH + 1))


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ ab\u00e9\n'),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(alphabet='[]{}"\\ a', max_size=4), children, max_size=3)
        ),
        max_leaves=40,
    ),
    st.integers(min_value=0, max_value=12),
    st.booleans(),
)
def test_the_depth_of_any_document_is_the_parsers(document, limit, ascii_only):
    text = json.dumps(document, ensure_ascii=ascii_only)
    assert json_too_deep(text, limit) == (depth_of(document) > limit)
    assert json_too_deep(text.encode(), limit) == (depth_of(document) > limit)
