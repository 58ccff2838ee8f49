"""``error``: the status, body and Retry-After of the answer, which requests a seed errors, and whether
the engine acted."""

import pytest

from exchangesim.failures import Answer, FaultError

from .support import ORDER_BODY, Harness, fetch, rest_call, result_of


def errored(seed: int, count: int = 16) -> list[bool]:
    harness = Harness.with_fault("error", seed, layer="rest", probability=0.5)
    return [verdict is not None for verdict in harness.before([rest_call() for _ in range(count)])]


def test_the_answer_has_the_status_an_error_body_and_retry_after():
    harness = Harness.with_fault("error", layer="rest", status=502, retry_after_ms="3s", message="upstream")
    [answer] = harness.before([rest_call()])
    assert isinstance(answer, Answer)
    assert (answer.status, answer.headers, answer.action) == (502, ((b"retry-after", b"3"),), "error")
    # Worded by the dialect of the route hit (tests/failures/test_dialect_answers.py); a 502 says what it is.
    assert answer.error == FaultError(502, "BAD_GATEWAY", "upstream", retry_after_s=3)


def test_a_500_is_an_internal_error():
    [answer] = Harness.with_fault("error", layer="rest", status=500).before([rest_call()])
    assert answer.status == 500
    assert answer.error.code == "INTERNAL"


@pytest.mark.parametrize(("retry_after_ms", "header"), [(1000, b"1"), (1200, b"2"), (2500, b"3"), (1, b"1")])
def test_retry_after_is_whole_seconds_rounded_up(retry_after_ms, header):
    harness = Harness.with_fault("error", layer="rest", retry_after_ms=retry_after_ms)
    [answer] = harness.before([rest_call()])
    assert answer.headers == ((b"retry-after", header),)


def test_no_retry_after_when_it_is_zero():
    [answer] = Harness.with_fault("error", layer="rest", retry_after_ms=0).before([rest_call()])
    assert answer.headers == ()


def test_post_engine_answers_the_same_error_after_the_engine():
    harness = Harness.with_fault("error", layer="rest", stage="post_engine", status=504)
    [answer] = harness.after([(rest_call(), object())])
    assert (answer.status, answer.headers) == (504, ((b"retry-after", b"1"),))


def test_the_same_seed_errors_the_same_requests_and_another_seed_others():
    assert errored(1234) == errored(1234)
    assert errored(1234) != errored(5)
    assert 3 <= sum(errored(1234)) <= 13


def test_pre_engine_the_engine_never_sees_the_request():
    harness = Harness.with_fault("error", layer="rest", status=502)
    http, orders = harness.http()
    response = result_of(fetch(http, json={**ORDER_BODY, "client_order_id": "c-1"}))
    assert (response.code, orders.executed) == (502, 0)
    assert response.headers.getRawHeaders("retry-after") == ["1"]
    [event] = harness.events()
    assert (event["action"], event["stage"], event["route"]) == ("error", "pre_engine", "POST /api/v1/orders")
    assert (event["symbol"], event["client_order_id"]) == ("BTC/USD", "c-1")
    assert event["engine_effect"].startswith("none")


def test_post_engine_the_engine_acted_and_the_client_gets_the_error():
    harness = Harness.with_fault("error", layer="rest", stage="post_engine")
    http, orders = harness.http()
    response = fetch(http)
    http.flush()
    assert (result_of(response).code, orders.executed) == (503, 1)
    [event] = harness.events()
    assert (event["stage"], event["order_id"], event["engine_effect"]) == ("post_engine", "1", "order 1 NEW")
