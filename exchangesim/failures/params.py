"""Parameters of a failure mode: each declares its kind, default, bounds, unit and doc, and is checked
against them with every problem reported at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..config._kinds import BOOLEAN, DURATION, INTEGER, REAL, TEXT, Kind

__all__ = ["BOOLEAN", "DURATION", "INTEGER", "NUMBER", "TEXT", "Parameter", "parse_parameters"]

NUMBER = REAL


@attrs.frozen
class Parameter:
    """One parameter of a mode: ``low``/``high`` bound numbers, ``choices`` bound text."""

    name: str
    kind: Kind
    default: Any
    doc: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def parse(self, value: Any) -> Any:
        """The typed value of ``value`` (INI text or a JSON value); ``ValueError`` says why not.

        An optional parameter (default None) given empty, or null, keeps its default."""
        if self.default is None and (value is None or (isinstance(value, str) and not value.strip())):
            return None
        parsed = self.kind.convert(value.strip() if isinstance(value, str) else value)
        if self.choices and parsed not in self.choices:
            raise ValueError(f"expected one of {', '.join(map(str, self.choices))}")
        if self.low is not None and parsed < self.low:
            raise ValueError(f"must be at least {self.low:g}{_unit(self.unit)}")
        if self.high is not None and parsed > self.high:
            raise ValueError(f"must be at most {self.high:g}{_unit(self.unit)}")
        return parsed

    def describe(self) -> dict[str, Any]:
        """The declaration as JSON, for the admin API and the documentation."""
        described = {"name": self.name, "kind": self.kind.name, "default": self.default, "doc": self.doc}
        for key in ("unit", "low", "high", "choices"):
            if getattr(self, key):
                described[key] = getattr(self, key)
        return described


def _unit(unit: str) -> str:
    return f" {unit}" if unit and unit != "ms" else unit


def parse_parameters(
    parameters: Iterable[Parameter], raw: Mapping[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Typed values for every declared parameter (defaults filled in, also for the ones in error, so
    later checks can read every key) and (key, reason) problems."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for parameter in parameters:
        if parameter.name not in raw:
            values[parameter.name] = parameter.default
            continue
        try:
            values[parameter.name] = parameter.parse(raw[parameter.name])
        except ValueError as error:
            values[parameter.name] = parameter.default
            problems.append((parameter.name, str(error)))
    return values, problems
