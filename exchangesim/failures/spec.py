"""A fault as configured: the mode, the common targeting, schedule and trigger keys, and the mode's own
parameters, parsed from an INI section or admin JSON and checked with every problem reported at once."""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..config import FailuresConfig
from ..config._kinds import ACCOUNT_NAME, INTEGER, SYMBOL, TEXT
from .interface import DIRECTIONS, LAYERS, STAGES, IFailureMode
from .params import DURATION, NUMBER, Parameter, parse_parameters

__all__ = [
    "COMMON_KEYS",
    "FAULT_NAME",
    "MAX_FAULT_DURATION_MS",
    "RESTART_KEYS",
    "FaultSpec",
    "FaultSpecError",
    "parse_fault",
    "restarted_by",
]

FAULT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
RESERVED_NAMES = frozenset({"connections", "events", "halt", "headers", "modes", "resume"})
"""Names the admin API uses for its own routes beside the faults'."""
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_FAULT_DURATION_MS = FailuresConfig().max_fault_duration * 1000.0
"""The default of ``[failures] max_fault_duration``, in ms: what a fault parsed without a bound meets."""

COMMON = (
    Parameter(
        "probability", NUMBER, 1.0, "Chance that an eligible message or request is hit.", low=0, high=1
    ),
    Parameter("start", DURATION, 0.0, "Time after the fault is installed before it acts.", "ms"),
    Parameter("duration", DURATION, None, "How long it acts once started (empty: for ever).", "ms"),
    Parameter("period", DURATION, None, "Repeat the start..start+duration window every period.", "ms"),
    Parameter("first", INTEGER, None, "Hit only the first N eligible ones.", low=1),
    Parameter("nth", INTEGER, None, "Hit only every Nth eligible one.", low=1),
    Parameter("after", INTEGER, 0, "Let the first N eligible ones through untouched.", low=0),
    Parameter("count", INTEGER, None, "Stop after N hits in all.", low=1),
    Parameter("connection", INTEGER, None, "Only the Nth connection accepted on the layer.", low=1),
    Parameter("symbol", SYMBOL, None, "Only messages or requests about this symbol."),
    Parameter("account", ACCOUNT_NAME, None, "Only this account's requests or connections."),
    Parameter("route", TEXT, None, "rest: METHOD /path (glob), e.g. POST /api/v1/orders."),
    Parameter("channel", TEXT, None, "ws: channel name (glob), e.g. BOOK or *depth*."),
)
"""Keys every fault takes besides ``mode``, ``layer``, ``stage`` and ``direction``."""
COMMON_KEYS = ("mode", "layer", "stage", "direction", *(parameter.name for parameter in COMMON))


class FaultSpecError(ValueError):
    """A fault cannot be built; ``problems`` lists (key, reason) pairs, key None for the whole."""

    def __init__(self, name: str, problems: list[tuple[str | None, str]]) -> None:
        self.name = name
        self.problems = problems
        super().__init__("; ".join(f"{key}: {reason}" if key else reason for key, reason in problems))


@attrs.frozen
class FaultSpec:
    """One configured fault; ``params`` holds the mode's own parameters, typed, defaults filled in."""

    name: str
    mode: str
    layers: tuple[str, ...]
    stage: str | None
    direction: str
    common: Mapping[str, Any]
    params: Mapping[str, Any]
    given: Mapping[str, Any]  # the keys as given, for listing and re-applying
    max_duration_ms: float = MAX_FAULT_DURATION_MS
    """The bound its durations met (``[failures] max_fault_duration``): also the longest it holds anything."""

    def __getattr__(self, key: str) -> Any:  # the common keys, read as attributes
        try:
            return self.common[key]
        except KeyError:
            raise AttributeError(key) from None

    def route_matcher(self) -> Callable[[str, str], bool] | None:
        """A test of (method, path) against ``route``, or None when every route is targeted."""
        route = self.common["route"]
        if route is None:
            return None
        method, _, pattern = route.partition(" ") if " " in route else ("", "", route)
        return lambda m, path: (not method or m == method) and fnmatch.fnmatchcase(path, pattern)

    def describe(self) -> dict[str, Any]:
        """The fault as JSON: the keys as given plus what they resolved to."""
        common = {key: value for key, value in self.common.items() if value is not None}
        resolved = {"layer": list(self.layers), "direction": self.direction, **common, **self.params}
        if self.stage is not None:
            resolved["stage"] = self.stage
        return {"name": self.name, "mode": self.mode, "given": dict(self.given), "resolved": resolved}


_RESTARTING_COMMON = ("connection", "route", "channel", "symbol", "account", "start", "duration", "period")
RESTART_KEYS = ("mode", "layer", "stage", "direction", *_RESTARTING_COMMON)
"""Keys that say what a fault is, where it acts and when: a PATCH changing one starts it over as a new
fault (a new schedule counts from the PATCH); a PATCH of other keys keeps it going."""


def restarted_by(old: FaultSpec, new: FaultSpec, mode: IFailureMode) -> list[str]:
    """The keys whose change from ``old`` to ``new`` starts the fault over (empty: it keeps its hits,
    trigger counts, random streams, schedule and what it holds).

    A mode names its own such parameters in ``restarted_by`` (a tuple, and its effects take the others
    through ``retune``); a mode that does not say (a plugin written before there was a choice) is
    started over by any change, since its effects may read their keys once."""
    if old.mode != new.mode:
        return ["mode"]
    changed = [
        key
        for key, before, after in (
            ("layer", old.layers, new.layers),
            ("stage", old.stage, new.stage),
            ("direction", old.direction, new.direction),
        )
        if before != after
    ]
    own = getattr(mode, "restarted_by", None)
    common = _RESTARTING_COMMON if own is not None else tuple(new.common)
    changed += [key for key in common if old.common[key] != new.common[key]]
    own = tuple(new.params) if own is None else own
    changed += [key for key in own if old.params.get(key) != new.params.get(key)]
    return changed


def parse_fault(
    name: str,
    raw: Mapping[str, Any],
    lookup: Callable[[str], IFailureMode],
    max_duration_ms: float = MAX_FAULT_DURATION_MS,
) -> FaultSpec:
    """The fault named ``name`` from ``raw`` keys; ``lookup`` finds a mode (raises LookupError); no
    duration key may be longer than ``max_duration_ms`` (``[failures] max_fault_duration``)."""
    problems: list[tuple[str | None, str]] = []
    if name in RESERVED_NAMES:
        reason = f"{name!r} names an admin route under /api/v1/admin/failures; choose another name"
        raise FaultSpecError(name, [(None, reason)])
    if not FAULT_NAME.match(name):
        raise FaultSpecError(name, [(None, f"{name!r} is not a fault name of 1 to 64 of [A-Za-z0-9_.-]")])
    mode_name = raw.get("mode")
    if not isinstance(mode_name, str) or not mode_name.strip():
        raise FaultSpecError(name, [("mode", "required: the failure mode, such as drop or delay")])
    try:
        mode = lookup(mode_name.strip())
    except LookupError as error:
        raise FaultSpecError(name, [("mode", str(error))]) from None
    known = COMMON_KEYS + tuple(parameter.name for parameter in mode.parameters)
    for key in raw:
        if key not in known:
            problems.append((key, f"unknown key for mode {mode.name}" + _suggest(key, known)))
    common, common_problems = parse_parameters(COMMON, raw)
    params, param_problems = parse_parameters(mode.parameters, raw)
    problems += common_problems + param_problems
    layers = _layers(mode, raw, problems)
    stage = _stage(mode, layers, raw.get("stage"), problems)
    direction = _choice(raw, "direction", DIRECTIONS, "both", problems)
    _check_targeting(layers, raw, common, problems)
    invalid = {key for key, _ in common_problems}
    _check_schedule(common, invalid, problems)
    problems += _too_long(COMMON, common, max_duration_ms) + _too_long(
        mode.parameters, params, max_duration_ms
    )
    endless = common["duration"] is None and "duration" not in invalid
    if "tcp" in layers and getattr(mode, "silences_connections", False) and endless:
        reason = f"an endless tcp {mode.name} would shut out the admin API too; give it a duration"
        problems.append(("duration", reason))
    if not param_problems:
        problems += mode.check(params)
    if problems:
        raise FaultSpecError(name, problems)
    return FaultSpec(name, mode.name, layers, stage, direction, common, params, dict(raw), max_duration_ms)


def _layers(mode: IFailureMode, raw: Mapping[str, Any], problems: list) -> tuple[str, ...]:
    """The layers the fault acts on: as given, or the one its mode or its keys imply."""
    value = raw.get("layer")
    if value is None or value == "" or value == []:
        implied = [layer for layer, keys in _LAYER_KEYS.items() if layer in mode.layers and keys & raw.keys()]
        if len(mode.layers) == 1 or len(implied) == 1:
            return (mode.layers[0],) if len(mode.layers) == 1 else tuple(implied)
        problems.append(("layer", f"required: mode {mode.name} acts on {', '.join(mode.layers)}"))
        return ()
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        problems.append(("layer", f"expected a layer or a list of layers: {', '.join(LAYERS)}"))
        return ()
    layers = []
    for item in items:
        if item not in LAYERS:
            problems.append(("layer", f"{item!r} is not a layer; layers: {', '.join(LAYERS)}"))
        elif item not in mode.layers:
            acts_on = ", ".join(mode.layers)
            problems.append(("layer", f"mode {mode.name} does not act on {item}; it acts on {acts_on}"))
        elif item not in layers:
            layers.append(item)
    return tuple(layers)


_LAYER_KEYS = {"rest": {"route", "stage"}, "ws": {"channel"}}
"""Keys that only one layer has, so a fault giving one of them needs no ``layer``."""


def _stage(mode: IFailureMode, layers: tuple[str, ...], value: Any, problems: list) -> str | None:
    if "rest" not in layers:
        if value not in (None, ""):
            problems.append(("stage", "only the rest layer has stages"))
        return None
    stage = value.strip() if isinstance(value, str) else value
    if stage in (None, ""):
        stage = mode.stages[0]
    if stage not in STAGES:
        problems.append(("stage", f"expected one of {', '.join(STAGES)}"))
    elif stage not in mode.stages:
        problems.append(("stage", f"mode {mode.name} acts at {', '.join(mode.stages)} only"))
    return stage


def _choice(raw: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str, problems: list) -> str:
    value = raw.get(key, default)
    value = value.strip() if isinstance(value, str) else value
    if value in (None, ""):
        return default
    if value not in choices:
        problems.append((key, f"expected one of {', '.join(choices)}"))
        return default
    return value


def _check_targeting(layers: tuple[str, ...], raw: Mapping[str, Any], common: dict, problems: list) -> None:
    route = common["route"]
    if route is not None:
        if "rest" not in layers:
            problems.append(("route", "only the rest layer has routes"))
        method, space, pattern = route.strip().partition(" ")
        if space and method not in _METHODS:
            problems.append(("route", f"{method!r} is not an HTTP method; use {', '.join(_METHODS)}"))
        if not (pattern if space else method).startswith("/"):
            problems.append(("route", "expected METHOD /path or /path, such as POST /api/v1/orders"))
    if common["channel"] is not None and "ws" not in layers:
        problems.append(("channel", "only the ws layer has channels"))
    if common["connection"] is not None and "rest" in layers:
        reason = (
            "the rest layer does not number connections, so a rest fault would hit every request; "
            "target requests with route, account or symbol, or give this fault layer ws or tcp"
        )
        problems.append(("connection", reason))
    if raw.get("direction") not in (None, "") and layers == ("rest",):
        problems.append(("direction", "the rest layer has no direction; use stage"))
    if layers == ("tcp",):  # a connection's bytes name neither, so the fault would never act
        for key in ("symbol", "account"):
            if common[key] is not None:
                problems.append(
                    (key, f"the tcp layer sees bytes and cannot tell the {key}; use layer ws or rest")
                )


def _too_long(
    parameters: tuple[Parameter, ...], values: Mapping[str, Any], bound_ms: float
) -> list[tuple[str | None, str]]:
    """Duration keys longer than ``bound_ms``: a fault must not outlast its operator's patience (a tcp
    stall of 10 hours shuts the admin API out for as long)."""
    reason = f"is longer than [failures] max_fault_duration ({bound_ms / 1000:g} s)"
    return [
        (parameter.name, f"{values[parameter.name]:.15g} ms {reason}")
        for parameter in parameters
        if parameter.kind is DURATION
        and values[parameter.name] is not None
        and values[parameter.name] > bound_ms
    ]


def _check_schedule(common: dict, invalid: set[str], problems: list) -> None:
    if invalid & {"duration", "period"}:
        return  # already reported; the checks below would only repeat it
    duration, period = common["duration"], common["period"]
    if duration == 0:
        problems.append(("duration", "a fault that lasts 0 ms never acts"))
    if period is not None:
        if duration is None:
            problems.append(("period", "needs a duration: the fault acts for duration every period"))
        elif period <= duration:
            problems.append(("period", "must be longer than duration, or the fault never pauses"))


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(choices))}"
