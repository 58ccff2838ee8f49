"""The client's typed exceptions for HTTP error responses and WebSocket ERROR messages."""

import pytest

from exchangesim.client import AuthenticationError, InvalidRequest, NotFound, OrderRejected, ServerError
from exchangesim.client.errors import error_from_message, error_from_response


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("AUTH_REQUIRED", AuthenticationError),
        ("INVALID_SIGNATURE", AuthenticationError),
        ("REPLAYED_SIGNATURE", AuthenticationError),  # a replayed WebSocket auth
        ("UNKNOWN_CHANNEL", InvalidRequest),
        ("TOO_MANY_SUBSCRIPTIONS", InvalidRequest),
        ("INTERNAL", ServerError),
    ],
)
def test_a_websocket_error_message_maps_by_its_code(code, cls):
    error = error_from_message(
        {"type": "ERROR", "error": {"code": code, "message": "no", "field": "channel"}}
    )
    assert type(error) is cls
    assert (error.code, error.field, error.status) == (code, "channel", None)


def test_an_http_error_maps_by_status_refined_by_code():
    body = b'{"error": {"code": "UNKNOWN_ORDER", "message": "no such order", "field": "order_id"}}'
    assert type(error_from_response(404, body)) is NotFound
    assert (
        type(error_from_response(422, b'{"error": {"code": "WOULD_TAKE", "message": "x"}}')) is OrderRejected
    )
    # a code that disagrees with its status does not win
    assert (
        type(error_from_response(400, b'{"error": {"code": "UNKNOWN_ORDER", "message": "x"}}'))
        is InvalidRequest
    )
    assert type(error_from_response(502, b"<html>bad gateway</html>")) is ServerError
