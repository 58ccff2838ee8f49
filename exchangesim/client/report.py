"""What a run of scenarios shows and writes: a progress display while it runs, a summary table, and
files for CI: JSON (``--json``) and JUnit XML (``--junit``)."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .runner import ScenarioResult
from .scenarios import Scenario

__all__ = ["ProgressDisplay", "junit_xml", "run_document", "summary_table", "write_json", "write_junit"]

SUITE = "exchangesim.scenarios"


class ProgressDisplay:
    """A progress bar over the scenarios, naming the one running, and a line per scenario done."""

    def __init__(self, console: Console, total: int) -> None:
        self._console = console
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("scenarios", total=total)

    def __enter__(self) -> ProgressDisplay:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._progress.stop()

    def started(self, scenario: Scenario) -> None:
        self._progress.update(self._task, description=f"{scenario.name}: {scenario.summary}")

    def finished(self, result: ScenarioResult) -> None:
        mark = "[green]PASS[/]" if result.passed else "[red]FAIL[/]"
        line = f"{mark} {result.name} ({result.duration_s:.2f} s)"
        if result.detail:
            line += f": {escape(result.detail)}"
        self._progress.console.print(line, markup=True, highlight=False)
        self._progress.advance(self._task)


def summary_table(results: Sequence[ScenarioResult], profile: str | None) -> Table:
    """One row per scenario: pass or fail, its key figures, and faults observed against audited."""
    title = f"exchangesim scenarios, fault profile {profile or 'none'}"
    table = Table(title=title, show_lines=True)
    table.add_column("scenario", style="bold")
    table.add_column("result")
    table.add_column("time", justify="right")
    table.add_column("key figures")
    table.add_column("faults: observed / audited")
    for result in results:
        table.add_row(
            result.name,
            "[green]pass[/]" if result.passed else "[red]FAIL[/]",
            f"{result.duration_s:.2f} s",
            escape("\n".join(f"{name} {value}" for name, value in result.figures.items()) or result.detail),
            _faults_cell(result),
        )
    return table


def _faults_cell(result: ScenarioResult) -> str:
    if not result.audit_checked:
        seen = [f"{kind} {count}" for kind, count in result.observed.items()]
        return "\n".join([*seen, "not audited (no admin token)"])
    lines = []
    for check in result.faults:
        mark = "[green]=[/]" if check.matched else "[red]≠[/]"
        line = f"{check.kind} {check.observed} {mark} {check.audited}"
        if check.unobservable:
            line += f" (+{check.unobservable} after the last message read)"
        lines.append(line)
    for kind in result.expected:
        if not any(check.kind == kind for check in result.faults):
            lines.append(f"[red]{kind}: expected, none[/]")
    return "\n".join(lines) or "none"


def run_document(
    results: Sequence[ScenarioResult],
    *,
    base_url: str,
    symbol: str,
    profile: str | None,
    kinds: Sequence[str],
) -> dict[str, Any]:
    """The whole run as JSON: where, with which profile, and every scenario's result."""
    return {
        "base_url": base_url,
        "symbol": symbol,
        "profile": profile,
        "profile_injects": sorted(kinds),
        "passed": all(result.passed for result in results),
        "scenarios": [result.describe() for result in results],
    }


def write_json(path: str | os.PathLike[str], document: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as file:
        json.dump(document, file, indent=2, default=str)
        file.write("\n")


def junit_xml(results: Sequence[ScenarioResult], profile: str | None) -> ET.ElementTree:
    """JUnit XML: a test suite of the run, a test case per scenario, a ``failure`` for each failed one."""
    failures = sum(not result.passed for result in results)
    total_time = f"{sum(result.duration_s for result in results):.3f}"
    name = SUITE if profile is None else f"{SUITE}[{profile}]"
    root = ET.Element("testsuites", name="exchangesim", tests=str(len(results)), failures=str(failures))
    root.set("errors", "0")
    root.set("time", total_time)
    suite = ET.SubElement(
        root,
        "testsuite",
        name=name,
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=total_time,
        timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="profile", value=profile or "none")
    for result in results:
        case = ET.SubElement(
            suite, "testcase", classname=name, name=result.name, time=f"{result.duration_s:.3f}"
        )
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=result.detail, type="ScenarioFailure")
            failure.text = result.detail
        output = ET.SubElement(case, "system-out")
        output.text = json.dumps(result.describe(), default=str)
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: str | os.PathLike[str], results: Sequence[ScenarioResult], profile: str | None) -> None:
    junit_xml(results, profile).write(path, encoding="utf-8", xml_declaration=True)
