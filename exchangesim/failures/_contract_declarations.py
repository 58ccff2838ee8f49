"""The declaration half of ``check_mode``: what a mode says about itself, as the registry and the INI
parser read it (name, description, layers, stages, parameters, defaults, entry point)."""

from __future__ import annotations

import re
import traceback
from typing import Any

from zope.interface.exceptions import Invalid
from zope.interface.verify import verifyObject

from ..config._kinds import Kind
from .interface import LAYERS, STAGES, IFailureMode
from .params import Parameter
from .registry import mode_for, mode_names
from .spec import COMMON_KEYS

__all__ = ["declaration_problems", "raised"]

_MODE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


def declaration_problems(mode: Any) -> list[str]:
    """What is wrong with how ``mode`` declares itself (the runs need a sound declaration)."""
    try:
        verifyObject(IFailureMode, mode)
    except Invalid as error:
        hint = " (subclass exchangesim.failures.FailureMode)"
        return [f"does not provide IFailureMode{hint}: {' '.join(str(error).split())}"]
    problems: list[str] = []
    name, description = mode.name, mode.description
    if not isinstance(name, str) or not _MODE_NAME.match(name):
        problems.append(f"name {name!r}: expected a word such as latency_spike (letters, digits, _ . -)")
    if not isinstance(description, str) or not description.strip() or "\n" in description:
        problems.append("description: expected one line saying what the mode does, for listings")
    problems += _layer_problems(mode.layers, mode.stages)
    problems += _parameter_problems(mode.parameters)
    if not problems:
        problems += _default_problems(mode)
        problems += _registry_problems(mode)
    return problems


def _layer_problems(layers: Any, stages: Any) -> list[str]:
    problems = []
    if not isinstance(layers, tuple) or not layers:
        return [f"layers {layers!r}: expected a non-empty tuple drawn from {', '.join(LAYERS)}"]
    for layer in layers:
        if layer not in LAYERS:
            problems.append(f"layers: {layer!r} is not a layer; layers: {', '.join(LAYERS)}")
    if len(set(layers)) != len(layers):
        problems.append(f"layers {layers!r}: a layer is listed twice")
    if not isinstance(stages, tuple):
        return [*problems, f"stages {stages!r}: expected a tuple drawn from {', '.join(STAGES)}"]
    for stage in stages:
        if stage not in STAGES:
            problems.append(f"stages: {stage!r} is not a stage; stages: {', '.join(STAGES)}")
    if len(set(stages)) != len(stages):
        problems.append(f"stages {stages!r}: a stage is listed twice")
    if "rest" in layers and not stages:
        problems.append("stages: a mode acting on rest declares its stages (pre_engine, post_engine)")
    if "rest" not in layers and stages:
        problems.append("stages: only the rest layer has stages; leave stages empty")
    return problems


def _parameter_problems(parameters: Any) -> list[str]:
    if not isinstance(parameters, tuple):
        return [f"parameters: expected a tuple of exchangesim.failures.Parameter, got {parameters!r}"]
    problems = []
    seen: set[str] = set()
    for parameter in parameters:
        if not isinstance(parameter, Parameter):
            problems.append(f"parameters: {parameter!r} is not an exchangesim.failures.Parameter")
            continue
        name = parameter.name
        where = f"parameter {name!r}"
        if not isinstance(name, str) or not name.isidentifier():
            problems.append(f"{where}: not a usable key; use a Python identifier such as extra_ms")
        elif name in COMMON_KEYS:
            problems.append(f"{where}: clashes with the common key every fault takes; choose another name")
        elif name in seen:
            problems.append(f"{where}: declared twice")
        seen.add(name)
        if not isinstance(parameter.kind, Kind):
            kinds = "BOOLEAN, DURATION, INTEGER, NUMBER or TEXT from exchangesim.failures"
            problems.append(f"{where}: kind {parameter.kind!r} is not a parameter kind; use {kinds}")
            continue
        if not isinstance(parameter.doc, str) or not parameter.doc.strip():
            problems.append(f"{where}: needs a doc, one line saying what it does (listings show it)")
        if not isinstance(parameter.unit, str):
            problems.append(f"{where}: unit {parameter.unit!r} must be text, such as ms or B/s")
        low, high = parameter.low, parameter.high
        if low is not None and high is not None and low > high:
            problems.append(f"{where}: low {low} is above high {high}")
        if parameter.default is not None:
            problems += _default_problem(where, parameter)
    return problems


def _default_problem(where: str, parameter: Parameter) -> list[str]:
    """A default must be a value its own declaration accepts, already typed (a section leaving the key
    out gets the default as it stands)."""
    try:
        parsed = parameter.parse(parameter.default)
    except ValueError as error:
        return [f"{where}: default {parameter.default!r} is refused by its own declaration: {error}"]
    if parsed != parameter.default:
        return [f"{where}: default {parameter.default!r} reads as {parsed!r}; declare the typed value"]
    return []


def _default_problems(mode: IFailureMode) -> list[str]:
    defaults = {parameter.name: parameter.default for parameter in mode.parameters}
    try:
        refused = list(mode.check(defaults))
    except Exception as error:
        return [f"check() raised on the defaults: {raised(error)}"]
    if refused:
        return [f"check() refuses the defaults, so a section giving only the mode fails: {refused!r}"]
    return []


def _registry_problems(mode: IFailureMode) -> list[str]:
    """An installed entry point of this name must load this mode."""
    if mode.name not in mode_names():
        return []  # not installed (yet): a plugin's tests may run from its source tree
    try:
        registered = mode_for(mode.name)
    except LookupError as error:
        return [f"the entry point named {mode.name!r} does not load: {error}"]
    if type(registered) is not type(mode):
        other = f"{type(registered).__module__}.{type(registered).__qualname__}"
        return [f"name {mode.name!r} is registered for another mode ({other}); choose another name"]
    return []


def raised(error: BaseException) -> str:
    """An exception as a problem tells it: type, message and the line that raised it."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"
