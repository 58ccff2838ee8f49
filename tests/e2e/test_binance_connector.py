"""binance-connector 3.13.0 (``binance.spot.Spot`` and its websocket clients) against a live daemon, run
from its own venv (``make client-venvs``) by ``clients/binance_connector_driver.py``."""

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

CLIENT = "binance-connector"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with quiet_daemon(tmp_path_factory.mktemp(CLIENT)) as daemon:
        yield daemon


def test_market_data(daemon):
    check_market_data(drive(CLIENT, daemon, "market_data"))


def test_trading_and_its_errors_as_client_errors(daemon):
    report = drive(CLIENT, daemon, "trading")
    check_trading(report)
    assert report["insufficient_balance"] == {"type": "ClientError", "status": 400, "code": -2010}
    assert report["bad_symbol"] == {"type": "ClientError", "status": 400, "code": -1121}


def test_market_streams_on_a_combined_connection(daemon):
    report = drive(CLIENT, daemon, "streams")
    check_streams(report)
    check_partial_depth(report["partialDepth"])


def test_ws_api_places_and_cancels(daemon):
    report = drive(CLIENT, daemon, "ws_api")
    assert report["placed"]["status"] == report["cancel"]["status"] == 200
    check_placed_and_canceled(report["placed"]["result"], report["cancel"]["result"])
    assert (report["refuse"]["status"], report["refuse"]["error"]["code"]) == (400, -2010)


def test_user_data_stream_of_a_listen_key(daemon):
    report = drive(CLIENT, daemon, "user_data")
    assert isinstance(report["created"]["listenKey"], str) and report["created"]["listenKey"]
    assert report["renewed"] == report["closed"] == {}
    check_user_events(report["events"], report["bid"])


def test_ws_api_listen_key_start_ping_stop(daemon):
    report = drive(CLIENT, daemon, "ws_api_listen_key")
    assert [report[step]["status"] for step in ("start", "ping", "stop")] == [200, 200, 200]
    assert isinstance(report["start"]["result"]["listenKey"], str) and report["start"]["result"]["listenKey"]
