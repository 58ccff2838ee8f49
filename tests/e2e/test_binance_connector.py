"""binance-connector 3.13.0 (``binance.spot.Spot`` and its websocket clients) against a live daemon, run
from its own venv (``make client-venvs``) by ``clients/binance_connector_driver.py``."""

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

CLIENT = "binance-connector"


def test_market_data(run_scenario: RunScenario) -> None:
    check_market_data(run_scenario("market_data"))


def test_trading_and_its_errors_as_client_errors(run_scenario: RunScenario) -> None:
    check_trading(run_scenario("trading"), refused_as={"type": "ClientError", "status": 400})


def test_market_streams_on_a_combined_connection(run_scenario: RunScenario) -> None:
    report = run_scenario("streams")
    check_streams(report)
    check_partial_depth(report["partialDepth"])


def test_ws_api_places_and_cancels(run_scenario: RunScenario) -> None:
    report = run_scenario("ws_api")
    assert report["placed"]["status"] == report["cancel"]["status"] == 200
    check_placed_and_canceled(report["placed"]["result"], report["cancel"]["result"])
    assert (report["refuse"]["status"], report["refuse"]["error"]["code"]) == (400, -2010)


def test_user_data_stream_of_a_listen_key(run_scenario: RunScenario) -> None:
    report = run_scenario("user_data")
    check_listen_key_stream(report, report["created"]["listenKey"])


def test_ws_api_listen_key_start_ping_stop(run_scenario: RunScenario) -> None:
    report = run_scenario("ws_api_listen_key")
    assert [report[step]["status"] for step in ("start", "ping", "stop")] == [200, 200, 200]
    assert isinstance(report["start"]["result"]["listenKey"], str) and report["start"]["result"]["listenKey"]
