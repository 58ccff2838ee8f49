"""python-binance 1.0.37 (``Client``, ``AsyncClient``, ``BinanceSocketManager``,
``ThreadedWebsocketManager``) against a live daemon, run from its own venv (``make client-venvs``) by
``clients/python_binance_driver.py``."""

from __future__ import annotations

from .clients.checks import (
    check_listen_key_stream,
    check_market_data,
    check_partial_depth,
    check_placed_and_canceled,
    check_streams,
    check_trading,
)
from .clients.driving import RunScenario

CLIENT = "python-binance"
REFUSED_AS = {"type": "BinanceAPIException", "status": 400}
"""A refusal's fields but its code, as the driver reports the exception."""


def test_market_data(run_scenario: RunScenario) -> None:
    check_market_data(run_scenario("market_data"))


def test_trading_and_its_errors_as_binance_api_exceptions(run_scenario: RunScenario) -> None:
    """Orders, queries and cancels (``cancel_order`` sends DELETE with a form body)."""
    check_trading(run_scenario("trading"), REFUSED_AS)


def test_socket_manager_streams(run_scenario: RunScenario) -> None:
    check_streams(run_scenario("streams"))


def test_threaded_websocket_manager_partial_book(run_scenario: RunScenario) -> None:
    check_partial_depth(run_scenario("threaded_streams")["partialDepth"])


def test_ws_api_orders(run_scenario: RunScenario) -> None:
    report = run_scenario("ws_api")
    check_placed_and_canceled(report["placed"], report["canceled"])
    assert report["refused"] == {**REFUSED_AS, "code": -2010}


def test_listen_key_and_user_socket(run_scenario: RunScenario) -> None:
    """The listen key's REST calls; ``user_socket`` subscribes over the WS-API and unsubscribes on leaving."""
    report = run_scenario("user_data")
    check_listen_key_stream(report, report["created"])
