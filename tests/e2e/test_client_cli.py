"""``python -m exchangesim.client --scenarios`` against a real daemon: every scenario passes with no faults
and with each built-in fault profile, the faults it saw matching the audit; JSON and JUnit for CI.

The daemon starts with fault injection halted, as ``make run`` does: the CLI resumes it for a profile
and halts it again. Slow ticks keep it steady; the agents are on, since scenarios need a market.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from exchangesim.admin_client import Admin
from exchangesim.client.profiles import load_profile
from exchangesim.client.scenarios import SCENARIOS
from exchangesim.fault_profiles import profile_names

from .daemon import running

ADMIN_TOKEN = "client-cli-test-token"
CONFIG = f"""
[server]
admin_token = {ADMIN_TOKEN}
[exchange]
tick_interval_ms = 100
[failures]
enabled = false
"""
RUN_TIMEOUT = 120
RAPID_ORDERS = 100  # under exchange-overload each 429 costs a worker its Retry-After (1 s): keep it short


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with running(tmp_path_factory.mktemp("client-cli"), CONFIG) as daemon:
        yield daemon


@pytest.mark.parametrize("profile", [None, *profile_names()])
def test_every_scenario_passes_and_sees_what_the_profile_injects(daemon, profile, tmp_path):
    junit, report = tmp_path / "junit.xml", tmp_path / "run.json"
    command = [sys.executable, "-m", "exchangesim.client", "--base-url", daemon.base_url, "--scenarios"]
    command += ["--no-browser", "--junit", str(junit), "--json", str(report), "--orders", str(RAPID_ORDERS)]
    if profile is not None:
        command += ["--faults", profile]
    env = {**os.environ, "EXCHANGESIM_ADMIN_TOKEN": ADMIN_TOKEN, "COLUMNS": "200"}
    env.pop("PYTHONPATH", None)
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(SCENARIOS)} of {len(SCENARIOS)} scenarios passed" in run.stdout

    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == (str(len(SCENARIOS)), "0")
    assert [case.get("name") for case in suite.findall("testcase")] == list(SCENARIOS)

    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["passed"] and document["profile"] == profile
    injected = load_profile(profile).kinds if profile else frozenset()
    assert set(document["profile_injects"]) == injected
    for scenario in document["scenarios"]:
        assert scenario["audit_checked"] and all(check["matched"] for check in scenario["faults"])
        seen = {check["kind"]: check["observed"] for check in scenario["faults"]}
        for kind in SCENARIOS[scenario["name"]].pairs_with:
            if kind in injected:
                assert seen.get(kind, 0) > 0, (scenario, kind)
            else:
                assert kind not in seen, (scenario, kind)
    observed = {check["kind"] for s in document["scenarios"] for check in s["faults"] if check["observed"]}
    assert injected <= observed  # every kind of fault the profile injects, some scenario saw

    admin = Admin(daemon.base_url, ADMIN_TOKEN)
    state = admin.faults()
    assert state["faults"] == [] and state["enabled"] is False  # the profile is gone, injection halted
    assert [a["name"] for a in admin.accounts() if a["name"].startswith("cli-")] == []  # nor its accounts


def test_without_an_admin_token_the_scenarios_run_on_the_default_account_unaudited(daemon, tmp_path):
    report = tmp_path / "run.json"
    command = [sys.executable, "-m", "exchangesim.client", "--base-url", daemon.base_url, "--no-browser"]
    command += ["--scenario", "basic-trading", "--scenario", "lost-ack", "--json", str(report)]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "EXCHANGESIM_ADMIN_TOKEN")
    }
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no admin token: the scenarios share one account and the audit is not checked" in run.stdout
    document = json.loads(report.read_text(encoding="utf-8"))
    assert [s["name"] for s in document["scenarios"]] == ["basic-trading", "lost-ack"]
    assert not any(s["audit_checked"] or s["faults"] for s in document["scenarios"])


def test_a_wrong_admin_token_fails_the_run_before_any_fault_is_applied(daemon, tmp_path):
    command = [sys.executable, "-m", "exchangesim.client", "--base-url", daemon.base_url, "--scenarios"]
    command += ["--faults", "ack-loss", "--admin-token", "not-the-token"]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "the admin API refused a request (is the admin token right?)" in run.stdout
    assert Admin(daemon.base_url, ADMIN_TOKEN).faults()["faults"] == []
