"""A trading team's own suites, outside this repository, against the installed wheel: a trial suite on
``exchangesim.testing`` and a pytest suite on the plugin's fixtures (in memory and the daemon)."""

from __future__ import annotations

import subprocess

import pytest

from .wheel import USER_ENV, install_wheel

TRIAL_SUITE = """
from twisted.trial.unittest import SynchronousTestCase

import exchangesim.testing

QUIET = "[liquidity]\\nenabled = false\\n"
ORDER = {"symbol": "BTC/USD", "side": "SELL", "type": "LIMIT", "quantity": "0.5", "price": "60000"}


class BotTests(SynchronousTestCase):
    def setUp(self):
        self.venue = exchangesim.testing.venue(QUIET, seed=1)
        self.addCleanup(self.venue.stop)

    def test_the_module_is_the_installed_one(self):
        assert "site-packages" in exchangesim.testing.__file__, exchangesim.testing.__file__

    def test_an_ask_rests_and_a_delayed_answer_comes_with_time(self):
        alice = self.venue.new_account({"BTC": "1"})
        self.venue.admin.add_fault("slow", mode="delay", route="POST /api/v1/orders", base_ms="500ms")
        pending = self.venue.http.post(
            self.venue.base_url + "/api/v1/orders", json=ORDER, headers={"X-API-Key": alice.api_key}
        )
        self.assertNoResult(pending)
        self.venue.advance(0.5)
        order = self.successResultOf(self.venue.http.json_content(self.successResultOf(pending)))
        assert order["status"] == "NEW"
"""

PYTEST_SUITE = """
import asyncio

import pytest


@pytest.fixture(scope="session")
def exchangesim_config():
    return "[exchange]\\ntick_interval_ms = 1000\\n[liquidity]\\nenabled = false\\n"


@pytest.mark.exchangesim_accounts(alice={"USD": 1000})
def test_in_memory(exchangesim_memory):
    answer = exchangesim_memory.call("GET", "/api/v1/balance", account="alice")
    assert answer.json()["balances"]["USD"]["available"] == "1000"


@pytest.mark.exchangesim_faults(name="down", mode="error", route="GET /api/v1/ticker")
def test_on_the_daemon(exchangesim):
    async def ticker():
        async with exchangesim.client() as client:
            return await client.get_ticker("BTC/USD")

    with pytest.raises(Exception):
        asyncio.run(ticker())
    assert [event["fault"] for event in exchangesim.faults_injected()] == ["down"]
"""


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    """The venv's python, and a folder of the team's own outside the repository."""
    folder = tmp_path_factory.mktemp("user")
    python = install_wheel(folder)
    project = folder / "team"
    project.mkdir()
    (project / "test_trial_bot.py").write_text(TRIAL_SUITE, encoding="utf-8")
    (project / "test_pytest_bot.py").write_text(PYTEST_SUITE, encoding="utf-8")
    return python, project


def test_a_trial_suite_runs_on_the_installed_package(user):
    python, project = user
    result = subprocess.run(
        [python, "-m", "twisted.trial", "test_trial_bot"],
        cwd=project,
        capture_output=True,
        text=True,
        env=USER_ENV,
        timeout=300,
    )
    assert "PASSED (successes=2)" in result.stdout, result.stdout + result.stderr


def test_a_pytest_suite_runs_on_the_installed_package(user):
    python, project = user
    result = subprocess.run(
        [python, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "test_pytest_bot.py"],
        cwd=project,
        capture_output=True,
        text=True,
        env=USER_ENV,
        timeout=300,
    )
    assert "2 passed" in result.stdout, result.stdout + result.stderr
    assert "exchangesim: seed 42" in result.stdout
