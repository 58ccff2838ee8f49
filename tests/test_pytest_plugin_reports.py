"""The pytest plugin, second part: what a failed test's report says, the seed and accounts a test asks
for, the in-memory venue's fixture and the async handle (small suites in fresh pytest processes)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

QUIET_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def exchangesim_config():
    return "[exchange]\\ntick_interval_ms = 1000\\n[liquidity]\\nenabled = false\\n"
"""

FAILING_UNDER_ACK_LOSS = """
import json
import urllib.error
import urllib.request

import pytest

ORDER = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "40000",
         "client_order_id": "bot-7"}


def test_passes(exchangesim):
    urllib.request.urlopen(exchangesim.base_url + "/api/v1/health", timeout=10).close()


@pytest.mark.exchangesim_faults(
    name="ack-loss", mode="drop", stage="post_engine", route="POST /api/v1/orders"
)
def test_fails(exchangesim):
    request = urllib.request.Request(
        exchangesim.base_url + "/api/v1/orders", json.dumps(ORDER).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        urllib.request.urlopen(request, timeout=10)
    except (urllib.error.URLError, ConnectionError):
        pass
    assert False, "the bot placed the order twice"
"""


def sections(output: str) -> dict[str, str]:
    """The report sections of pytest's output, by title (``---- title ----`` lines)."""
    parts = re.split(r"^-+ (.+?) -+$", output, flags=re.MULTILINE)
    return {title: text for title, text in zip(parts[1::2], parts[2::2], strict=True)}


def test_a_failed_test_says_how_to_replay_it_which_faults_acted_and_what_the_daemon_logged(pytester):
    pytester.makeconftest(QUIET_CONFTEST)
    pytester.makepyfile(test_report=FAILING_UNDER_ACK_LOSS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--exchangesim-seed", "11")
    result.assert_outcomes(passed=1, failed=1)
    found = sections(result.stdout.str())
    summary, log = found["exchangesim"], found["exchangesim daemon log"]
    assert "seed 11" in summary
    (replay,) = [
        line.removeprefix("replay: ") for line in summary.splitlines() if line.startswith("replay: ")
    ]
    assert shlex.split(replay)[1:] == [
        "-m",
        "pytest",
        "test_report.py::test_fails",
        "--exchangesim-seed",
        "11",
    ]
    assert re.search(r"ack-loss: mode=drop .*stage=post_engine route=POST /api/v1/orders \(hits 1\)", summary)
    events = [json.loads(line) for line in summary.splitlines() if line.startswith("  {")]
    assert [(e["fault"], e["action"], e["client_order_id"]) for e in events] == [
        ("ack-loss", "drop", "bot-7")
    ]
    assert (events[0]["engine_status"], events[0]["client_status"]) == (201, None)
    # the request the fault dropped is in the log, the passing test's requests are not
    assert re.search(r'"POST /api/v1/orders HTTP/1.1" got no answer', log), log
    assert "/api/v1/health" not in log
    # the command replays it: the same test fails the same way, with the same seed
    replayed = subprocess.run(
        [*shlex.split(replay), "-p", "no:randomly"], cwd=pytester.path, capture_output=True, text=True
    )
    assert "1 failed" in replayed.stdout and "seed 11" in replayed.stdout, replayed.stdout


def test_the_seed_fixture_gives_the_seed_in_force_also_pytest_randomlys(pytester):
    pytester.makepyfile(
        """
        def test_seed(exchangesim_seed):
            print("SEED", exchangesim_seed)
        """
    )
    given = pytester.runpytest_subprocess("-s", "--exchangesim-seed", "5", "-p", "no:randomly")
    given.stdout.fnmatch_lines(["*SEED 5*"])
    pytester.makeconftest(
        """
        def pytest_configure(config):
            config.option.randomly_seed = 1234
            config.pluginmanager.register(object(), "randomly")
        """
    )
    randomly = pytester.runpytest_subprocess("-s")
    randomly.stdout.fnmatch_lines(["*SEED 1234*"])


def test_the_accounts_marker_opens_an_account_and_resets_it_for_the_next_test(pytester):
    pytester.makeconftest(QUIET_CONFTEST)
    pytester.makepyfile(
        """
        import asyncio
        from decimal import Decimal

        import pytest

        def usd(exchangesim, name):
            async def read():
                async with exchangesim.client(name) as client:
                    return (await client.get_balance())["balances"]["USD"]
            return asyncio.run(read())

        @pytest.mark.exchangesim_accounts(alice={"USD": 1000}, bob={"USD": "5", "BTC": "1"})
        def test_first(exchangesim):
            assert Decimal(usd(exchangesim, "alice")["available"]) == 1000
            assert exchangesim.accounts["bob"].name == "bob"
            exchangesim.admin.fund("alice", "USD", "500")

        @pytest.mark.exchangesim_accounts(alice={"USD": 1000})
        def test_second_starts_afresh(exchangesim):
            assert Decimal(usd(exchangesim, "alice")["available"]) == 1000
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=2)


def test_the_memory_fixture_gives_each_test_a_venue_with_markers_and_the_report(pytester):
    pytester.makeconftest(QUIET_CONFTEST)
    pytester.makepyfile(
        test_memory="""
        import pytest

        ORDER = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "40000"}

        @pytest.mark.exchangesim_accounts(alice={"USD": 1000})
        def test_an_order(exchangesim_memory):
            venue = exchangesim_memory
            assert venue.seed == 9 and venue.config.exchange.tick_interval_ms == 1000
            answer = venue.call("POST", "/api/v1/orders", ORDER, account="alice")
            assert answer.status == 201
            venue.advance(3)
            assert venue.now_ms() == 1_700_000_003_000

        @pytest.mark.exchangesim_faults(name="down", mode="error", route="GET /api/v1/ticker")
        def test_fails_under_a_fault(exchangesim_memory):
            assert exchangesim_memory.call("GET", "/api/v1/ticker?symbol=BTC/USD").status == 200
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--exchangesim-seed", "9")
    result.assert_outcomes(passed=1, failed=1)
    found = sections(result.stdout.str())
    assert "venue: in memory, seed 9" in found["exchangesim"]
    assert re.search(r"down: mode=error .*route=GET /api/v1/ticker \(hits 1\)", found["exchangesim"])
    assert '"client_status":503' in found["exchangesim"]
    assert '"GET /api/v1/ticker?symbol=BTC/USD HTTP/1.1" 503' in found["exchangesim daemon log"]


@pytest.mark.parametrize("runner", ["anyio"])
def test_the_async_handle_serves_an_asyncio_suite_without_asyncio_run(pytester, runner):
    pytester.makeconftest(QUIET_CONFTEST)
    pytester.makepyfile(
        """
        import pytest

        from exchangesim.client import TransportError

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_a_lost_ack(exchangesim_async):
            account = await exchangesim_async.new_account({"USD": "10000"})
            await exchangesim_async.admin.add_fault(
                "ack-loss", mode="drop", stage="post_engine", route="POST /api/v1/orders"
            )
            async with exchangesim_async.client(account) as client:
                with pytest.raises(TransportError):
                    await client.place_order(
                        "BTC/USD", "BUY", "LIMIT", "0.01", "40000", client_order_id="a-1"
                    )
                found = await client.get_order_by_client_id("a-1")
            assert found["status"] == "NEW"
            (lost,) = await exchangesim_async.faults_injected()
            assert lost["fault"] == "ack-loss"
            await exchangesim_async.admin.remove_fault("ack-loss")
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly", "-p", runner).assert_outcomes(passed=1)


README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def readme_snippet(name: str) -> str:
    match = re.search(rf"<!-- snippet: {name} -->\n```python\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no snippet {name}"
    return match.group(1)


@pytest.mark.parametrize("name", ["memory-pytest", "pytest-async"])
def test_the_readme_examples_pass(pytester, name):
    pytester.makeconftest(QUIET_CONFTEST if name == "pytest-async" else "")
    pytester.makepyfile(**{"test_" + name.replace("-", "_"): readme_snippet(name)})
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)
    assert len(readme_snippet(name).strip().splitlines()) <= 17  # short examples, as the README says
