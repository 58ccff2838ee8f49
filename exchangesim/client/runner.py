"""Run scenarios one after another, each with an account of its own (given an admin token), and judge
each: its own checks, and the faults it saw against the audit of that account's faults."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from ..admin_client import Admin
from .audit_check import KindCheck, compare
from .observations import Observations
from .scenarios import Scenario, ScenarioCheckError, ScenarioContext

log = logging.getLogger(__name__)

__all__ = ["ScenarioResult", "run_scenarios"]

ACCOUNT_QUOTE = "10000000"
ACCOUNT_BASE = "1000"


@attrs.frozen
class ScenarioResult:
    """How a scenario went: ``passed`` only if its checks held and the faults it saw are the audited ones
    (and it saw the faults the profile injects of the kinds it is paired with)."""

    name: str
    passed: bool
    duration_s: float
    figures: dict[str, Any]
    observed: dict[str, int]  # faults seen, count per kind
    faults: tuple[KindCheck, ...]  # faults seen against audited (empty when the audit is not checked)
    expected: tuple[str, ...]  # kinds it had to see: those it pairs with that the profile injects
    audit_checked: bool
    detail: str = ""

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "duration_s": round(self.duration_s, 3),
            "figures": self.figures,
            "observed_faults": self.observed,
            "faults": [check.describe() for check in self.faults],
            "expected_faults": list(self.expected),
            "audit_checked": self.audit_checked,
            "detail": self.detail,
        }


async def run_scenarios(
    scenarios: Sequence[Scenario],
    context: ScenarioContext,
    admin: Admin | None,
    *,
    timeout: float,
    on_start: Callable[[Scenario], None] = lambda scenario: None,
    on_done: Callable[[ScenarioResult], None] = lambda result: None,
) -> list[ScenarioResult]:
    """Each scenario in turn; ``context.expected`` names the kinds of fault the active profile injects."""
    cursor = await _last_audit_seq(admin) if admin is not None else 0
    results = []
    for scenario in scenarios:
        on_start(scenario)
        result, cursor = await _run_one(scenario, context, admin, cursor, timeout)
        results.append(result)
        on_done(result)
    return results


async def _run_one(
    scenario: Scenario, context: ScenarioContext, admin: Admin | None, cursor: int, timeout: float
) -> tuple[ScenarioResult, int]:
    observations = Observations()
    account = None
    if admin is not None:
        account = f"cli-{scenario.name}-{secrets.token_hex(4)}"
        base, quote = context.symbol.split("/")
        created = await asyncio.to_thread(
            admin.create_account, account, {base: ACCOUNT_BASE, quote: ACCOUNT_QUOTE}
        )
        context = attrs.evolve(context, api_key=created["api_key"], api_secret=created["api_secret"])
    try:
        expected = tuple(kind for kind in scenario.pairs_with if kind in context.expected)
        started = time.monotonic()
        figures: dict[str, Any] = {}
        problems = []
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                figures = await scenario.run(context, observations)
        except Exception as error:  # a scenario's failure is its result, whatever raised it
            problems.append(f"did not finish within {timeout:g} s" if deadline.expired() else _explain(error))
        duration = time.monotonic() - started
        checks: list[KindCheck] = []
        if admin is not None and account is not None:
            events = await asyncio.to_thread(admin.all_events, cursor)
            if events and events[0]["audit_seq"] > cursor + 1:  # the daemon keeps the newest events only
                problems.append(
                    f"the audit no longer holds events {cursor + 1}..{events[0]['audit_seq'] - 1} of this"
                    " scenario: other traffic outran the admin API's memory of recent events"
                )
            if events:
                cursor = events[-1]["audit_seq"]
            checks = compare(observations, events, account)
            problems += [
                f"{check.kind}: the client saw {check.observed}, the audit holds {check.audited}"
                + (" (not the same ones)" if check.observed == check.audited else "")
                for check in checks
                if not check.matched
            ]
        problems += [
            f"expected {kind} faults (the profile injects them) and saw none"
            for kind in expected
            if not observations.count(kind)
        ]
        result = ScenarioResult(
            scenario.name,
            not problems,
            duration,
            figures,
            observations.summary(),
            tuple(checks),
            expected,
            admin is not None,
            "; ".join(problems),
        )
        return result, cursor
    finally:
        if admin is not None and account is not None:
            await _remove_account(admin, account)


async def _remove_account(admin: Admin, account: str) -> None:
    """Remove a scenario's account once it is judged, so runs leave no accounts behind; a daemon that
    cannot (an older version) keeps it, which changes no result."""
    try:
        await asyncio.to_thread(admin.remove_account, account)
    except Exception as error:
        log.warning("scenario account %s was not removed: %s", account, error)


async def _last_audit_seq(admin: Admin) -> int:
    events = await asyncio.to_thread(admin.all_events, 0)
    return events[-1]["audit_seq"] if events else 0


def _explain(error: BaseException) -> str:
    """One line for a scenario's failure: its own check's message, or the error and where it arose."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]  # a TaskGroup's: the first task that failed
    if isinstance(error, ScenarioCheckError):
        return str(error)
    where = traceback.extract_tb(error.__traceback__)[-1]
    return f"{type(error).__name__}: {error} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
