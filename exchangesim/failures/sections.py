"""The failures package's part of checking a configuration: each ``[failure:NAME]`` section against its
mode's schema, and their number against ``[failures] max_active_faults``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import FAILURE_PREFIX, Config, Problem, SourceOf
from .registry import mode_for
from .spec import FaultSpecError, parse_fault

__all__ = ["check_fault_sections", "fault_problems"]


def check_fault_sections(config: Config, source_of: SourceOf) -> list[Problem]:
    """Every fault of ``config`` checked (a ``SectionValidator``), and their number against the limit."""
    problems = fault_problems(config.faults, source_of, config.failures.max_fault_duration)
    if len(config.faults) > config.failures.max_active_faults:
        reason = f"{len(config.faults)} [failure:NAME] sections are more than max_active_faults"
        problems.append(Problem(source_of("failures"), reason, "failures", "max_active_faults"))
    return problems


def fault_problems(
    faults: Mapping[str, Mapping[str, Any]], source_of: SourceOf, max_fault_duration: int | None = None
) -> list[Problem]:
    """Each fault (``[failure:NAME]`` keys by name) checked against its mode's schema: unknown modes,
    keys and values, durations past ``max_fault_duration`` seconds (None: its default)."""
    problems = []
    bound_ms = () if max_fault_duration is None else (max_fault_duration * 1000.0,)
    for name, raw in faults.items():
        section = f"{FAILURE_PREFIX}:{name}"
        try:
            parse_fault(name, dict(raw), mode_for, *bound_ms)
        except FaultSpecError as error:
            problems += [
                Problem(source_of(section), reason, section, key, raw.get(key or ""))
                for key, reason in error.problems
            ]
    return problems
