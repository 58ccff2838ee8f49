"""Corruption that keeps framing: each kind changes the content of one message in its own way."""

import json
import random

import pytest

from exchangesim.failures.corruption import KINDS, corrupt

TRADE = (
    b'{"type":"MARKET_DATA","channel":"TRADES","symbol":"BTC/USD","seq":4711,"ts":1700000000123,'
    b'"trade_id":"98765","price":"50123.25","quantity":"0.375","side":"BUY"}'
)
BOOK = (
    b'{"type":"MARKET_DATA","channel":"BOOK","symbol":"BTC/USD","seq":4711,"ts":1700000000123,'
    b'"snapshot":true,"bids":[["50123.25","0.375"],["50120.00","1.5"]],"asks":[["50130.75","2"]]}'
)
SEEDS = range(200)


def value_spans(data: bytes, keys: tuple[str, ...]) -> list[range]:
    """Byte ranges of the string values of ``keys`` in ``data``."""
    spans = []
    for key in keys:
        marker = b'"%s":"' % key.encode()
        start = data.index(marker) + len(marker)
        spans.append(range(start, data.index(b'"', start)))
    return spans


def changed_positions(before: bytes, after: bytes) -> list[int]:
    assert len(before) == len(after)
    return [i for i in range(len(before)) if before[i] != after[i]]


def test_every_kind_gives_bytes_and_names_itself():
    for kind in KINDS:
        corrupted, applied = corrupt(TRADE, kind, random.Random(1))
        assert isinstance(corrupted, bytes)
        assert applied == kind
        assert corrupted != TRADE


@pytest.mark.parametrize("seed", SEEDS[:50])
def test_truncate_cuts_the_message_short(seed):
    corrupted, _ = corrupt(TRADE, "truncate", random.Random(seed))
    assert 0 < len(corrupted) < len(TRADE)
    assert TRADE.startswith(corrupted)


def test_flip_digit_changes_exactly_one_digit_of_a_price_or_quantity():
    spans = value_spans(TRADE, ("price", "quantity"))
    hit = set()
    for seed in SEEDS:
        corrupted, _ = corrupt(TRADE, "flip_digit", random.Random(seed))
        [at] = changed_positions(TRADE, corrupted)
        assert chr(TRADE[at]).isdigit() and chr(corrupted[at]).isdigit()
        assert any(at in span for span in spans), "not in a price or quantity"
        assert json.loads(corrupted)["seq"] == 4711
        hit.add(next(key for key, span in zip(("price", "quantity"), spans, strict=True) if at in span))
    assert hit == {"price", "quantity"}


def test_flip_digit_in_a_book_changes_a_level_never_the_seq_or_time():
    levels = range(BOOK.index(b'"bids"'), len(BOOK))
    for seed in SEEDS:
        corrupted, _ = corrupt(BOOK, "flip_digit", random.Random(seed))
        [at] = changed_positions(BOOK, corrupted)
        assert at in levels
        document = json.loads(corrupted)
        assert (document["seq"], document["ts"]) == (4711, 1700000000123)


def test_flip_digit_keeps_an_unquoted_number_valid_json():
    message = b'{"seq":7,"price":50123.25,"qty":375}'
    for seed in SEEDS:
        corrupted, _ = corrupt(message, "flip_digit", random.Random(seed))
        document = json.loads(corrupted)
        assert document["seq"] == 7
        assert (document["price"], document["qty"]) != (50123.25, 375)


def test_drop_key_removes_one_key_and_stays_valid_json():
    original = json.loads(TRADE)
    dropped = set()
    for seed in SEEDS[:50]:
        corrupted, _ = corrupt(TRADE, "drop_key", random.Random(seed))
        document = json.loads(corrupted)
        [missing] = original.keys() - document.keys()
        assert document == {key: value for key, value in original.items() if key != missing}
        dropped.add(missing)
    assert len(dropped) > 5


def test_invalid_utf8_does_not_decode_but_keeps_every_original_byte():
    for seed in SEEDS[:50]:
        corrupted, _ = corrupt(TRADE, "invalid_utf8", random.Random(seed))
        with pytest.raises(UnicodeDecodeError):
            corrupted.decode("utf-8")
        assert corrupted.replace(b"\xff\xfe", b"", 1) == TRADE


def test_any_picks_every_content_kind_over_many_messages_but_never_invalid_utf8():
    applied = {corrupt(TRADE, "any", random.Random(seed))[1] for seed in SEEDS}
    assert applied == set(KINDS) - {"invalid_utf8"}  # which strict WebSocket clients answer with 1007


def test_what_cannot_be_corrupted_its_own_way_is_truncated():
    assert corrupt(b"not json at all", "drop_key", random.Random(1))[1] == "truncate"
    assert corrupt(b'{"type":"PONG"}', "flip_digit", random.Random(1))[1] == "truncate"


def test_the_same_random_stream_corrupts_the_same_way():
    for kind in ("any", *KINDS):
        assert corrupt(TRADE, kind, random.Random(5)) == corrupt(TRADE, kind, random.Random(5))
    outcomes = {corrupt(TRADE, "flip_digit", random.Random(seed))[0] for seed in range(10)}
    assert len(outcomes) > 5
