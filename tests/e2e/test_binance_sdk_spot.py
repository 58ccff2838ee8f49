"""binance-sdk-spot 13.3.0 (REST, WebSocket API, WebSocket Streams) against a live daemon, run from its
own venv (``make client-venvs``) by ``clients/binance_sdk_spot_driver.py``.

The SDK parses each answer into its models and logs when one does not fit: no report may carry such a
log line.
"""

from __future__ import annotations

from typing import Any

import pytest

from .clients.checks import (
    check_listen_key_stream,
    check_market_data,
    check_partial_depth,
    check_placed_and_canceled,
    check_streams,
    check_trading,
    check_user_events,
)
from .clients.driving import RunScenario

CLIENT = "binance-sdk-spot"
MISFITS = ("did not match the declared types", "Failed to parse", "Unknown user data event")
"""What the SDK logs when an answer does not fit its models."""


@pytest.fixture(scope="module")
def run_scenario(run_scenario: RunScenario) -> RunScenario:
    """The shared ``run_scenario``, failing a scenario whose report logged a misfit."""

    def fitting(scenario: str) -> dict[str, Any]:
        report = run_scenario(scenario)
        assert not [line for line in report["logged"] if any(misfit in line for misfit in MISFITS)]
        return report

    return fitting


def test_market_data(run_scenario: RunScenario) -> None:
    check_market_data(run_scenario("market_data"))


def test_trading_and_its_errors_as_bad_request_errors(run_scenario: RunScenario) -> None:
    check_trading(run_scenario("trading"), refused_as={"type": "BadRequestError"})


def test_websocket_streams(run_scenario: RunScenario) -> None:
    report = run_scenario("streams")
    check_streams(report)
    check_partial_depth(report["partialDepth"])
    assert len(report["subscriptions"]["result"]) == 5


def test_websocket_api_orders(run_scenario: RunScenario) -> None:
    report = run_scenario("ws_api")
    assert report["placed"]["status"] == report["canceled"]["status"] == 200
    check_placed_and_canceled(report["placed"]["result"], report["canceled"]["result"])
    assert report["refused"]["error"]["code"] == -2010


def test_websocket_api_user_data_stream(run_scenario: RunScenario) -> None:
    report = run_scenario("user_data")
    assert report["subscribed"]["status"] == 200
    check_user_events(report["events"], report["bid"])
    assert report["unsubscribed"]["status"] == 200


def test_websocket_streams_user_data_of_a_listen_key(run_scenario: RunScenario) -> None:
    report = run_scenario("listen_key")
    check_listen_key_stream(report, report["created"]["listenKey"])
