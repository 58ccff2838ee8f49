"""binance-sdk-spot 13.3.0 (REST, WebSocket API, WebSocket Streams) against a live daemon, run from its
own venv (``make client-venvs``) by ``clients/binance_sdk_spot_driver.py``.

The SDK parses each answer into its models and logs when one does not fit: no report may carry such a
log line.
"""

from __future__ import annotations

import pytest

from .clients.checks import (
    check_market_data,
    check_partial_depth,
    check_placed_and_canceled,
    check_streams,
    check_trading,
    check_user_events,
)
from .clients.driving import drive, quiet_daemon

CLIENT = "binance-sdk-spot"
MISFITS = ("did not match the declared types", "Failed to parse", "Unknown user data event")
"""What the SDK logs when an answer does not fit its models."""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with quiet_daemon(tmp_path_factory.mktemp(CLIENT)) as daemon:
        yield daemon


def run(daemon, scenario: str) -> dict:
    report = drive(CLIENT, daemon, scenario)
    assert not [line for line in report["logged"] if any(misfit in line for misfit in MISFITS)]
    return report


def test_market_data(daemon):
    check_market_data(run(daemon, "market_data"))


def test_trading_and_its_errors_as_bad_request_errors(daemon):
    report = run(daemon, "trading")
    check_trading(report)
    assert report["insufficient_balance"] == {"type": "BadRequestError", "code": -2010}
    assert report["bad_symbol"] == {"type": "BadRequestError", "code": -1121}


def test_websocket_streams(daemon):
    report = run(daemon, "streams")
    check_streams(report)
    check_partial_depth(report["partialDepth"])
    assert len(report["subscriptions"]["result"]) == 5


def test_websocket_api_orders(daemon):
    report = run(daemon, "ws_api")
    assert report["placed"]["status"] == report["canceled"]["status"] == 200
    check_placed_and_canceled(report["placed"]["result"], report["canceled"]["result"])
    assert report["refused"]["error"]["code"] == -2010


def test_websocket_api_user_data_stream(daemon):
    report = run(daemon, "user_data")
    assert report["subscribed"]["status"] == 200
    check_user_events(report["events"], report["bid"])
    assert report["unsubscribed"]["status"] == 200


def test_websocket_streams_user_data_of_a_listen_key(daemon):
    report = run(daemon, "listen_key")
    assert isinstance(report["created"]["listenKey"], str) and report["created"]["listenKey"]
    assert report["renewed"] == report["closed"] == {}
    check_user_events(report["events"], report["bid"])
