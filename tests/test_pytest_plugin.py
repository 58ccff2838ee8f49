"""The pytest plugin, run as users run it: small suites in fresh pytest processes (``pytester``).

Each suite's daemon runs a quiet market (no agents, slow ticks), so only the tests move the book.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")

QUIET_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def exchangesim_config():
    return "[exchange]\\ntick_interval_ms = 1000\\n[liquidity]\\nenabled = false\\n"
"""


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(QUIET_CONFTEST)
    return pytester


def test_a_suite_gets_a_daemon_with_the_handle_and_places_an_order_through_the_client(suite):
    suite.makepyfile(
        test_handle="""
        import asyncio
        import json
        import urllib.request
        from decimal import Decimal

        PORTS = []

        def get(url):
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)

        def test_health_answers_with_the_seed(exchangesim):
            health = get(exchangesim.base_url + "/api/v1/health")
            assert health["status"] == "ok" and health["seed"] == 7
            assert exchangesim.ws_url == exchangesim.base_url.replace("http", "ws") + "/ws"
            PORTS.append(exchangesim.port)

        def test_an_order_through_the_client_locks_its_quote(exchangesim):
            account = exchangesim.new_account({"USD": "10000"})
            name, key, secret = account

            async def trade():
                async with exchangesim.client(account) as client:
                    order = await client.place_order("BTC/USD", "BUY", "LIMIT", "0.1", "40000")
                    balance = await client.get_balance()
                return order, balance

            order, balance = asyncio.run(trade())
            assert order["status"] == "NEW"
            assert Decimal(balance["balances"]["USD"]["locked"]) == 4000
            funded = exchangesim.admin.fund(name, "BTC", "2")["balances"]["BTC"]
            assert Decimal(funded["available"]) == 2
            PORTS.append(exchangesim.port)

        def test_the_admin_steers_the_market(exchangesim):
            assert exchangesim.admin.pause_market("BTC/USD")["paused"] is True
            assert exchangesim.admin.resume_market("BTC/USD")["paused"] is False
            assert exchangesim.admin.jump_market("BTC/USD", -0.1)["symbol"] == "BTC/USD"
            PORTS.append(exchangesim.port)

        def test_one_daemon_served_the_session():
            assert len(PORTS) == 3 and len(set(PORTS)) == 1
        """
    )
    result = suite.runpytest_subprocess("--exchangesim-seed", "7")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["exchangesim: seed 7 (--exchangesim-seed to replay), scope session"])


def test_the_scope_option_gives_each_test_its_own_daemon(suite):
    suite.makepyfile(
        test_scope="""
        PORTS = []

        def test_one(exchangesim):
            PORTS.append(exchangesim.port)

        def test_two(exchangesim):
            PORTS.append(exchangesim.port)
            assert PORTS[0] != PORTS[1]
        """
    )
    result = suite.runpytest_subprocess("--exchangesim-scope", "function")
    result.assert_outcomes(passed=2)


def test_each_xdist_worker_gets_its_own_daemon_and_port(suite, tmp_path):
    suite.makepyfile(
        test_parallel=f"""
        import os
        import pathlib

        OUT = pathlib.Path({str(tmp_path)!r})

        def test_one(exchangesim):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            (OUT / f"{{worker}}-one").write_text(str(exchangesim.port))

        def test_two(exchangesim):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            (OUT / f"{{worker}}-two").write_text(str(exchangesim.port))
        """
    )
    result = suite.runpytest_subprocess("-p", "xdist", "-n", "2", "--dist", "each")
    result.assert_outcomes(passed=4)
    ports = {path.name: path.read_text() for path in tmp_path.iterdir()}
    assert sorted(ports) == ["gw0-one", "gw0-two", "gw1-one", "gw1-two"]
    assert ports["gw0-one"] == ports["gw0-two"] != ports["gw1-one"] == ports["gw1-two"]


def test_the_seed_is_pytest_randomlys_when_that_plugin_is_active_and_the_plugin_can_be_disabled(pytester):
    # Stands in for pytest-randomly: a plugin registered as "randomly" holding its seed in the options.
    pytester.makeconftest(
        """
        def pytest_configure(config):
            config.option.randomly_seed = 1234
            config.pluginmanager.register(object(), "randomly")
        """
    )
    pytester.makepyfile("def test_nothing(exchangesim): pass")
    result = pytester.runpytest_subprocess("--collect-only")
    result.stdout.fnmatch_lines(["exchangesim: seed 1234 *"])
    disabled = pytester.runpytest_subprocess("-p", "no:exchangesim")
    disabled.assert_outcomes(errors=1)
    disabled.stdout.fnmatch_lines(["*fixture 'exchangesim' not found*"])


def test_stock_ccxt_trades_with_the_handles_ccxt_config(suite):
    suite.makepyfile(
        test_ccxt="""
        import ccxt

        def test_ccxt_places_and_cancels_a_limit_order(exchangesim):
            account = exchangesim.new_account({"USD": "10000", "BTC": "1"})
            exchange = ccxt.binance(exchangesim.ccxt_config(account))
            exchange.load_markets()
            order = exchange.create_order("BTC/USD", "limit", "buy", 0.01, 45000)
            assert exchange.fetch_order(order["id"], "BTC/USD")["status"] == "open"
            assert exchange.fetch_balance()["USD"]["used"] == 450
            exchange.cancel_order(order["id"], "BTC/USD")
            assert exchange.fetch_open_orders("BTC/USD") == []
        """
    )
    suite.runpytest_subprocess().assert_outcomes(passed=1)


def test_marker_faults_act_during_their_test_only_even_when_it_fails(suite):
    suite.path.joinpath("profile.ini").write_text(
        "[exchange]\nseed = 1\n\n"
        "[failure:slow-book]\nmode = delay\nroute = GET /api/v1/orderbook\nbase_ms = 1ms\n",
        encoding="utf-8",
    )
    suite.makepyfile(
        test_faults="""
        import urllib.error
        import urllib.request

        import pytest

        def ticker_status(exchangesim):
            url = exchangesim.base_url + "/api/v1/ticker?symbol=BTC/USD"
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        @pytest.mark.exchangesim_faults(
            name="ticker-down", mode="error", route="GET /api/v1/ticker", status=503
        )
        def test_the_fault_hits_and_is_audited(exchangesim):
            assert [ticker_status(exchangesim) for _ in range(2)] == [503, 503]
            events = exchangesim.faults_injected()
            assert [(e["fault"], e["params"]["status"]) for e in events] == [("ticker-down", 503)] * 2
            assert [f["name"] for f in exchangesim.admin.faults()["faults"]] == ["ticker-down"]

        @pytest.mark.exchangesim_faults(name="ticker-down", mode="error", route="GET /api/v1/ticker")
        def test_failing_under_the_fault(exchangesim):
            assert ticker_status(exchangesim) == 200

        def test_the_fault_is_gone_afterwards(exchangesim):
            assert ticker_status(exchangesim) == 200
            assert exchangesim.admin.faults()["faults"] == []
            assert exchangesim.faults_injected() == []
            assert len(exchangesim.faults_injected(test_only=False)) == 3

        @pytest.mark.exchangesim_faults("profile.ini", "ack-loss")
        def test_a_profile_and_a_preset(exchangesim):
            faults = {f["name"]: f for f in exchangesim.admin.faults()["faults"]}
            assert sorted(faults) == ["ack-loss", "slow-book"]
            assert faults["slow-book"]["mode"] == "delay"

        @pytest.mark.exchangesim_faults(name="bad", mode="no-such-mode")
        def test_an_invalid_fault_is_a_setup_error(exchangesim):
            pass

        def test_nothing_is_left(exchangesim):
            assert exchangesim.admin.faults()["faults"] == []
        """
    )
    result = suite.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=4, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "exchangesim_faults: fault 'bad' refused: POST /failures: 400 *no-such-mode*",
            "FAILED test_faults.py::test_failing_under_the_fault - assert 503 == 200",
            "ERROR test_faults.py::test_an_invalid_fault_is_a_setup_error - *",
        ]
    )


def test_a_failing_test_carries_the_daemon_log_of_that_test(suite):
    suite.makepyfile(
        test_failing="""
        import urllib.request

        def test_passes(exchangesim):
            urllib.request.urlopen(exchangesim.base_url + "/api/v1/health", timeout=10).close()

        def test_fails(exchangesim):
            urllib.request.urlopen(exchangesim.base_url + "/api/v1/symbols", timeout=10).close()
            assert False, "the bot lost money"
        """
    )
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    log = output.split("exchangesim daemon log", 1)[1]
    assert '"GET /api/v1/symbols HTTP/1.1" 200' in log
    assert "/api/v1/health" not in log  # the passing test's requests are not this test's log
    assert output.count("exchangesim daemon log") == 1


def test_the_readme_example_reconciles_an_order_whose_ack_was_lost(suite):
    match = re.search(r"<!-- snippet: pytest-ack-loss -->\n```python\n(.*?)```", README, re.DOTALL)
    assert match, "README has no pytest-ack-loss snippet"
    suite.makepyfile(test_ack_loss=match.group(1))
    result = suite.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1)
