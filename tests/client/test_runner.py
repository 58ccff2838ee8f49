"""How the runner judges a scenario: a scenario's own timeout told from a timeout it raised, and an audit
that no longer holds the scenario's first events failing the check instead of passing it by default."""

import asyncio

from exchangesim.client.errors import RequestTimeout
from exchangesim.client.runner import run_scenarios
from exchangesim.client.scenarios import Scenario, ScenarioContext

from ..asyncio_runner import asyncio_test

CONTEXT = ScenarioContext("http://127.0.0.1:1", "BTC/USD")


class ScriptedAdmin:
    """The admin calls the runner makes, over a list of audit events."""

    def __init__(self, events):
        self.kept = events
        self.open = []

    def create_account(self, name, balances):
        self.open.append(name)
        return {"api_key": f"key-{name}", "api_secret": "secret"}

    def remove_account(self, name):
        self.open.remove(name)
        return {"removed": name}

    def all_events(self, after=0):
        return [event for event in self.kept if event["audit_seq"] > after]


def scenario(run):
    return Scenario("scripted", "a scenario for the runner", run)


@asyncio_test
async def test_a_scenario_past_its_timeout_is_told_from_a_request_that_timed_out():
    async def slow(context, observations):
        await asyncio.sleep(10)

    async def timed_out(context, observations):
        raise RequestTimeout("GET /api/v1/ticker took longer than 10 s")

    [late] = await run_scenarios([scenario(slow)], CONTEXT, None, timeout=0.01)
    [failed] = await run_scenarios([scenario(timed_out)], CONTEXT, None, timeout=5)
    assert not late.passed and late.detail == "did not finish within 0.01 s"
    assert not failed.passed and failed.detail.startswith("RequestTimeout: GET /api/v1/ticker took longer")


@asyncio_test
async def test_events_the_audit_dropped_fail_the_check():
    admin = ScriptedAdmin([{"audit_seq": 1, "fault": "admin", "action": "fault_added", "layer": "admin"}])

    async def passes(context, observations):
        admin.kept = [{"audit_seq": 9, "fault": "admin", "action": "fault_added", "layer": "admin"}]
        return {}

    [result] = await run_scenarios([scenario(passes)], CONTEXT, admin, timeout=5)
    assert not result.passed
    assert "the audit no longer holds events 2..8 of this scenario" in result.detail

    admin.kept.append({"audit_seq": 10, "fault": "admin", "action": "fault_added", "layer": "admin"})
    [result] = await run_scenarios(
        [scenario(lambda context, observations: asyncio.sleep(0, {}))], CONTEXT, admin, timeout=5
    )
    assert result.passed and result.audit_checked


@asyncio_test
async def test_each_scenarios_account_is_removed_after_it_passes_fails_or_is_interrupted():
    admin = ScriptedAdmin([])

    async def fails(context, observations):
        assert admin.open == [name for name in admin.open if name.startswith("cli-scripted-")] != []
        raise RuntimeError("broken")

    async def interrupted(context, observations):
        raise asyncio.CancelledError

    [result] = await run_scenarios([scenario(fails)], CONTEXT, admin, timeout=5)
    assert not result.passed and admin.open == []
    try:
        await run_scenarios([scenario(interrupted)], CONTEXT, admin, timeout=5)
    except asyncio.CancelledError:
        pass
    assert admin.open == []
