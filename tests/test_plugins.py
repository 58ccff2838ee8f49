"""One lookup for every plugin group: names, loading, collisions and broken entry points, each reported
with the distribution to fix."""

import types
from importlib import metadata

import attrs
import pytest

from exchangesim.plugins import (
    PluginLoadError,
    UnknownPluginError,
    distribution_of,
    load_plugin,
    plugin_names,
)

GROUP = "exchangesim.test_widgets"


@attrs.frozen
class FakeEntryPoint:
    name: str
    value: str
    distribution: str | None
    group: str = GROUP

    @property
    def dist(self):
        return None if self.distribution is None else types.SimpleNamespace(name=self.distribution)

    def load(self):
        return metadata.EntryPoint(self.name, self.value, self.group).load()


@pytest.fixture
def installed(monkeypatch):
    entries = [
        FakeEntryPoint("sqrt", "math:sqrt", "widgets"),
        FakeEntryPoint("deque", "collections:deque", "widgets"),
        FakeEntryPoint("other", "math:floor", "widgets", group="exchangesim.other_group"),
    ]

    def entry_points(*, group):
        return [entry for entry in entries if entry.group == group]

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    return entries


def test_plugin_names_are_the_groups_names_sorted_once_each(installed):
    installed.append(FakeEntryPoint("sqrt", "math:sqrt", "widgets"))
    assert plugin_names(GROUP) == ["deque", "sqrt"]
    assert plugin_names("exchangesim.other_group") == ["other"]
    assert plugin_names("exchangesim.empty") == []


def test_load_plugin_gives_the_object_the_entry_point_names(installed):
    import collections
    import math

    assert load_plugin(GROUP, "sqrt", "widget") is math.sqrt
    assert load_plugin(GROUP, "deque", "widget") is collections.deque


def test_a_name_of_another_group_is_unknown_here(installed):
    with pytest.raises(UnknownPluginError, match=r"unknown widget 'other'; known widgets: deque, sqrt$"):
        load_plugin(GROUP, "other", "widget")


def test_an_unknown_name_suggests_the_nearest(installed):
    with pytest.raises(UnknownPluginError) as caught:
        load_plugin(GROUP, "sqrtt", "widget")
    assert str(caught.value) == "unknown widget 'sqrtt'; known widgets: deque, sqrt (did you mean 'sqrt'?)"
    assert isinstance(caught.value, LookupError)


def test_an_unknown_name_with_nothing_installed(monkeypatch):
    monkeypatch.setattr(metadata, "entry_points", lambda *, group: [])
    with pytest.raises(UnknownPluginError, match="known widgets: none installed"):
        load_plugin(GROUP, "sqrt", "widget")


def test_a_name_two_distributions_claim_is_refused_naming_both(installed):
    installed.append(FakeEntryPoint("sqrt", "cmath:sqrt", "complex-widgets"))
    with pytest.raises(PluginLoadError) as caught:
        load_plugin(GROUP, "sqrt", "widget")
    assert str(caught.value) == (
        "widget 'sqrt' is registered by more than one distribution: distribution 'widgets' (math:sqrt)"
        " and distribution 'complex-widgets' (cmath:sqrt)"
    )


def test_the_same_entry_point_listed_twice_is_not_a_collision(installed):
    import math

    installed.append(FakeEntryPoint("sqrt", "math:sqrt", "widgets"))
    assert load_plugin(GROUP, "sqrt", "widget") is math.sqrt


@pytest.mark.parametrize(
    ("value", "error"),
    [("no_such_module_here:Widget", "ModuleNotFoundError"), ("math:no_such_function", "AttributeError")],
)
def test_an_entry_point_that_does_not_import_names_its_distribution_value_and_error(installed, value, error):
    installed.append(FakeEntryPoint("broken", value, "broken-widgets"))
    with pytest.raises(PluginLoadError) as caught:
        load_plugin(GROUP, "broken", "widget")
    message = str(caught.value)
    assert message.startswith(f"widget 'broken' of distribution 'broken-widgets' does not import ({value}): ")
    assert error in message
    assert type(caught.value.__cause__).__name__ == error


def test_an_entry_point_without_a_distribution_is_still_reported(installed):
    installed.append(FakeEntryPoint("loose", "no_such_module_here:Widget", None))
    with pytest.raises(PluginLoadError, match="widget 'loose' of an unknown distribution does not import"):
        load_plugin(GROUP, "loose", "widget")


def test_distribution_of_names_who_registers_a_plugin(installed):
    installed.append(FakeEntryPoint("loose", "math:pi", None))
    assert distribution_of(GROUP, "sqrt") == "distribution 'widgets'"
    assert distribution_of(GROUP, "loose") == "an unknown distribution"
    assert distribution_of(GROUP, "missing") == "an unknown distribution"


def test_the_real_metadata_lists_the_built_in_groups():
    assert "gbm" in plugin_names("exchangesim.price_models")
    assert "drop" in plugin_names("exchangesim.failure_modes")
    assert distribution_of("exchangesim.failure_modes", "drop") == "distribution 'exchangesim'"
