"""python-binance 1.0.37 (``Client``, ``AsyncClient``, ``BinanceSocketManager``,
``ThreadedWebsocketManager``) against a live daemon, run from its own venv (``make client-venvs``) by
``clients/python_binance_driver.py``."""

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

CLIENT = "python-binance"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with quiet_daemon(tmp_path_factory.mktemp(CLIENT)) as daemon:
        yield daemon


def test_market_data(daemon):
    check_market_data(drive(CLIENT, daemon, "market_data"))


def test_trading_and_its_errors_as_binance_api_exceptions(daemon):
    """Orders, queries and cancels (``cancel_order`` sends DELETE with a form body)."""
    report = drive(CLIENT, daemon, "trading")
    check_trading(report)
    assert report["insufficient_balance"] == {"type": "BinanceAPIException", "status": 400, "code": -2010}
    assert report["bad_symbol"] == {"type": "BinanceAPIException", "status": 400, "code": -1121}


def test_socket_manager_streams(daemon):
    check_streams(drive(CLIENT, daemon, "streams"))


def test_threaded_websocket_manager_partial_book(daemon):
    check_partial_depth(drive(CLIENT, daemon, "threaded_streams")["partialDepth"])


def test_ws_api_orders(daemon):
    report = drive(CLIENT, daemon, "ws_api")
    check_placed_and_canceled(report["placed"], report["canceled"])
    assert report["refused"] == {"type": "BinanceAPIException", "status": 400, "code": -2010}


def test_listen_key_and_user_socket(daemon):
    """The listen key's REST calls; ``user_socket`` subscribes over the WS-API and unsubscribes on leaving."""
    report = drive(CLIENT, daemon, "user_data")
    assert isinstance(report["created"], str) and report["created"]
    assert report["renewed"] == report["closed"] == {}
    check_user_events(report["events"], report["bid"])
