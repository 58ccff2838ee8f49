"""``corrupt``: which messages a seed corrupts and how, one frame each, and REST bodies rewritten."""

import json

import pytest

from exchangesim.failures import Rewrite
from exchangesim.failures.corruption import KINDS
from exchangesim.failures.requests import Response

from .support import Harness, fetch, message, rest_call, result_of

SEQS = range(1, 11)


def trade(seq: int) -> bytes:
    return message(seq, channel="TRADES", price="50123.25", quantity="0.375")


def corrupted_by(seed: int, **keys) -> list[bytes]:
    harness = Harness.with_fault("corrupt", seed, layer="ws", **keys)
    link = harness.connect()
    link.send(*map(trade, SEQS))
    return link.data()


def test_a_fixed_seed_corrupts_exactly_these_messages_and_the_audit_says_how():
    harness = Harness.with_fault("corrupt", layer="ws", probability=0.3)
    link = harness.connect()
    link.send(*map(trade, SEQS))
    delivered = link.data()
    assert len(delivered) == len(SEQS)
    assert [seq for seq, data in zip(SEQS, delivered, strict=True) if data != trade(seq)] == [1]
    assert delivered[0] == b'{"type":"MARKET_DATA","channel":"TRADES","symbol":"BTC/USD","seq":1,'
    assert [(e["action"], e["channel"], e["seq"], e["corruption"]) for e in harness.events()] == [
        ("corrupt", "TRADES", 1, "truncate"),
    ]


def test_the_same_seed_corrupts_the_same_way_and_another_seed_otherwise():
    assert corrupted_by(1234, probability=0.3) == corrupted_by(1234, probability=0.3)
    other = corrupted_by(3, probability=0.3)
    assert [seq for seq, data in zip(SEQS, other, strict=True) if data != trade(seq)] == [4, 5, 8]
    assert json.loads(other[3]) == {key: value for key, value in json.loads(trade(4)).items() if key != "seq"}
    assert trade(5).startswith(other[4])
    assert other[7] == trade(8).replace(b'"quantity":"0.375"', b'"quantity":"0.371"')


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_keeps_every_message_one_frame_of_bytes(kind):
    harness = Harness.with_fault("corrupt", layer="ws", kind=kind)
    link = harness.connect()
    link.send(*map(trade, SEQS))
    assert len(link.data()) == len(SEQS)
    assert all(
        isinstance(data, bytes) and data != trade(seq) for seq, data in zip(SEQS, link.data(), strict=True)
    )
    assert [(e["seq"], e["corruption"]) for e in harness.events()] == [(seq, kind) for seq in SEQS]


def test_truncate_delivers_a_shorter_prefix():
    harness = Harness.with_fault("corrupt", layer="ws", kind="truncate")
    link = harness.connect()
    link.send(*map(trade, SEQS))
    for seq, data in zip(SEQS, link.data(), strict=True):
        assert trade(seq).startswith(data) and len(data) < len(trade(seq))


def test_flip_digit_changes_one_digit_of_the_price_or_quantity_only():
    harness = Harness.with_fault("corrupt", layer="ws", kind="flip_digit")
    link = harness.connect()
    link.send(*map(trade, SEQS))
    for seq, data in zip(SEQS, link.data(), strict=True):
        original, document = json.loads(trade(seq)), json.loads(data)
        changed = {key for key in original if original[key] != document[key]}
        assert changed in ({"price"}, {"quantity"})
        [key] = changed
        differing = [a != b for a, b in zip(original[key], document[key], strict=True)]
        assert sum(differing) == 1


def test_drop_key_delivers_valid_json_missing_one_key():
    harness = Harness.with_fault("corrupt", layer="ws", kind="drop_key")
    link = harness.connect()
    link.send(*map(trade, SEQS))
    for seq, data in zip(SEQS, link.data(), strict=True):
        original, document = json.loads(trade(seq)), json.loads(data)
        assert len(original.keys() - document.keys()) == 1
        assert document.items() <= original.items()


def test_invalid_utf8_cannot_be_decoded():
    harness = Harness.with_fault("corrupt", layer="ws", kind="invalid_utf8")
    link = harness.connect()
    link.send(*map(trade, SEQS))
    for data in link.data():
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")


def test_rest_verdict_rewrites_the_body_only():
    harness = Harness.with_fault("corrupt", layer="rest", kind="drop_key")
    body = b'{"order_id":"1","price":"50000.5","quantity":"0.25","status":"NEW"}'
    response = Response(201, None, body)
    [verdict] = harness.after([(rest_call(), response)])
    assert isinstance(verdict, Rewrite)
    assert verdict.detail == (("corruption", "drop_key"),)
    document = json.loads(verdict.body)
    assert len(document) == 3 and document.items() <= json.loads(body).items()


def test_a_corrupted_rest_response_keeps_its_status_and_a_right_length():
    harness = Harness.with_fault("corrupt", layer="rest", kind="truncate")
    http, orders = harness.http()
    response = fetch(http)
    http.flush()
    response = result_of(response)
    body = result_of(response.content())
    assert (response.code, orders.executed) == (201, 1)
    assert response.length == len(body)
    assert b'{"order_id": "1", "price": "50000.5", "quantity": "0.25", "status": "NEW"}'.startswith(body)
    assert len(body) < 74
    [event] = harness.events()
    assert (event["action"], event["corruption"], event["order_id"]) == ("corrupt", "truncate", "1")
    assert event["engine_effect"] == "order 1 NEW"
