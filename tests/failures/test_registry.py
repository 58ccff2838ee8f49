"""Failure modes by name from the entry point group, with installed metadata replaced by fakes."""

import types
from importlib import metadata

import attrs
import pytest
from zope.interface.verify import verifyObject

from exchangesim.failures import registry
from exchangesim.failures.interface import IFailureMode
from exchangesim.failures.mode import FailureMode
from exchangesim.failures.modes.drop import Drop
from exchangesim.failures.registry import ModeLoadError, mode_for, mode_names
from exchangesim.failures.spec import parse_fault
from exchangesim.plugins import UnknownPluginError

BUILT_INS = {
    name: f"exchangesim.failures.modes.{name}:{name.capitalize()}"
    for name in (
        "bandwidth",
        "corrupt",
        "delay",
        "disconnect",
        "drop",
        "duplicate",
        "error",
        "outage",
        "reorder",
        "slot",
        "stall",
        "throttle",
    )
}


@attrs.define
class FakeEntryPoint:
    """An entry point as importlib.metadata lists it, with the distribution that declares it."""

    name: str
    value: str
    distribution: str
    group: str = registry.ENTRY_POINT_GROUP
    loads: int = 0

    @property
    def dist(self):
        return types.SimpleNamespace(name=self.distribution)

    def load(self):
        self.loads += 1
        return metadata.EntryPoint(self.name, self.value, self.group).load()


class LatencySpike(FailureMode):
    """A third-party mode written on the base class."""

    name = "latency_spike"
    description = "Delay everything a lot."
    layers = ("ws",)


class NotDeclared:
    """Has every attribute but does not declare IFailureMode."""

    name = "undeclared"
    description = ""
    layers = ("ws",)
    stages = ()
    parameters = ()


class Misnamed(FailureMode):
    name = "something_else"
    layers = ("ws",)


class OddLayer(FailureMode):
    name = "odd_layer"
    layers = ("udp",)


class RestWithoutStages(FailureMode):
    name = "stageless"
    layers = ("rest",)


@pytest.fixture
def installed(monkeypatch):
    """The entry points 'installed': the built-ins of exchangesim plus whatever a test adds; the cache
    of loaded modes starts empty."""
    entries = [FakeEntryPoint(name, value, "exchangesim") for name, value in BUILT_INS.items()]

    def entry_points(*, group):
        return [entry for entry in entries if entry.group == group]

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    monkeypatch.setattr(registry, "_loaded", {})
    return entries


def add(installed, name, target, distribution="sim-extras"):
    entry = FakeEntryPoint(name, f"{__name__}:{target}", distribution)
    installed.append(entry)
    return entry


def test_the_installed_package_registers_the_twelve_built_ins():
    assert set(BUILT_INS) <= set(mode_names())
    assert isinstance(mode_for("drop"), Drop)


def test_mode_names_lists_the_built_ins_sorted(installed):
    assert mode_names() == sorted(BUILT_INS)
    assert len(mode_names()) == 12


def test_each_built_in_loads_under_its_name_and_provides_the_interface(installed):
    for name in BUILT_INS:
        mode = mode_for(name)
        assert mode.name == name
        assert verifyObject(IFailureMode, mode)
        assert mode.description and mode.layers


def test_a_mode_is_loaded_once_and_then_cached(installed):
    [drop] = [entry for entry in installed if entry.name == "drop"]
    first = mode_for("drop")
    assert mode_for("drop") is first
    assert drop.loads == 1
    assert all(entry.loads == 0 for entry in installed if entry.name != "drop")  # only what is named


def test_a_third_party_mode_loads_by_name_and_parses_faults(installed):
    add(installed, "latency_spike", "LatencySpike")
    assert "latency_spike" in mode_names()
    assert isinstance(mode_for("latency_spike"), LatencySpike)
    spec = parse_fault("spike", {"mode": "latency_spike", "probability": "0.5"}, mode_for)
    assert (spec.mode, spec.layers) == ("latency_spike", ("ws",))


def test_an_unknown_name_lists_the_installed_ones_and_the_nearest(installed):
    with pytest.raises(UnknownPluginError) as caught:
        mode_for("dealy")
    message = str(caught.value)
    assert "unknown failure mode 'dealy'" in message
    assert f"known failure modes: {', '.join(sorted(BUILT_INS))}" in message
    assert "did you mean 'delay'?" in message
    assert isinstance(caught.value, LookupError)


def test_a_name_claimed_by_two_distributions_names_both(installed):
    add(installed, "drop", "LatencySpike", "sim-extras")
    with pytest.raises(ModeLoadError) as caught:
        mode_for("drop")
    message = str(caught.value)
    assert "failure mode 'drop' is registered by more than one distribution" in message
    assert "distribution 'exchangesim' (exchangesim.failures.modes.drop:Drop)" in message
    assert f"distribution 'sim-extras' ({__name__}:LatencySpike)" in message


def test_a_mode_that_does_not_import_names_its_distribution_and_the_error(installed):
    installed.append(FakeEntryPoint("broken", "no_such_module_here:Mode", "sim-broken"))
    with pytest.raises(ModeLoadError) as caught:
        mode_for("broken")
    message = str(caught.value)
    assert "failure mode 'broken' of distribution 'sim-broken' does not import" in message
    assert "ModuleNotFoundError" in message


def test_a_failed_load_is_not_cached(installed):
    entry = FakeEntryPoint("spike", "no_such_module_here:Mode", "sim-extras")
    installed.append(entry)
    with pytest.raises(ModeLoadError):
        mode_for("spike")
    entry.value = f"{__name__}:LatencySpike"
    LatencySpike.name = "spike"
    try:
        assert isinstance(mode_for("spike"), LatencySpike)
    finally:
        LatencySpike.name = "latency_spike"


@pytest.mark.parametrize(
    ("name", "target", "reason"),
    [
        ("undeclared", "NotDeclared", "does not provide IFailureMode"),
        ("namespace", "types:SimpleNamespace", "does not provide IFailureMode"),
        ("plugin", "Misnamed", "calls itself 'something_else'"),
        ("odd_layer", "OddLayer", "declares unknown layers or stages"),
        ("stageless", "RestWithoutStages", "acts on rest but declares no stages"),
    ],
)
def test_an_object_that_is_not_a_proper_mode_is_refused_naming_its_distribution(
    installed, name, target, reason
):
    value = target if ":" in target else f"{__name__}:{target}"
    installed.append(FakeEntryPoint(name, value, "sim-odd"))
    with pytest.raises(ModeLoadError) as caught:
        mode_for(name)
    message = str(caught.value)
    assert message.startswith(f"failure mode {name!r} of distribution 'sim-odd' ")
    assert reason in message


def test_a_broken_plugin_makes_a_fault_spec_problem_not_a_crash(installed):
    installed.append(FakeEntryPoint("plugin", f"{__name__}:NotDeclared", "sim-odd"))
    with pytest.raises(ValueError) as caught:
        parse_fault("f", {"mode": "plugin"}, mode_for)
    assert caught.value.problems[0][0] == "mode"
    assert "distribution 'sim-odd'" in caught.value.problems[0][1]
