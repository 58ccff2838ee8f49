"""Price models by name from the entry point group, with installed metadata replaced by fakes."""

import types
from importlib import metadata

import attrs
import pytest

from exchangesim.marketdata import registry
from exchangesim.marketdata.models import (
    ArithmeticRandomWalk,
    GeometricBrownianMotion,
    ModelSettings,
    PriceModel,
    rng_for,
)
from exchangesim.marketdata.registry import ModelLoadError, UnknownModelError, model_class, model_names
from exchangesim.marketdata.replay import CsvReplay

BUILT_INS = {
    "gbm": "exchangesim.marketdata.models:GeometricBrownianMotion",
    "random_walk": "exchangesim.marketdata.models:ArithmeticRandomWalk",
    "geometric_walk": "exchangesim.marketdata.models:GeometricRandomWalk",
    "jump_diffusion": "exchangesim.marketdata.models:MertonJumpDiffusion",
    "ornstein_uhlenbeck": "exchangesim.marketdata.models:OrnsteinUhlenbeck",
    "csv": "exchangesim.marketdata.replay:CsvReplay",
}


@attrs.frozen
class FakeEntryPoint:
    """An entry point as importlib.metadata lists it, with the distribution that declares it."""

    name: str
    value: str
    distribution: str
    group: str = registry.ENTRY_POINT_GROUP

    @property
    def dist(self):
        return types.SimpleNamespace(name=self.distribution)

    def load(self):
        return metadata.EntryPoint(self.name, self.value, self.group).load()


class Trend(PriceModel):
    """A third-party model written the seed's way."""

    def next_price(self, current: float) -> float:
        return current * (1 + self.calculate_trend()) + 1.0


@pytest.fixture
def installed(monkeypatch):
    """The entry points 'installed': the built-ins of exchangesim plus whatever a test adds."""
    entries = [FakeEntryPoint(name, value, "exchangesim") for name, value in BUILT_INS.items()]

    def entry_points(*, group):
        return [entry for entry in entries if entry.group == group]

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    return entries


def test_the_built_ins_load_by_name(installed):
    assert model_class("gbm") is GeometricBrownianMotion
    assert model_class("random_walk") is ArithmeticRandomWalk
    assert model_class("csv") is CsvReplay
    for name in BUILT_INS:
        assert model_class(name).name == name


def test_model_names_are_sorted(installed):
    assert model_names() == sorted(BUILT_INS)


def test_a_third_party_model_loads_by_name_and_runs(installed):
    installed.append(FakeEntryPoint("trend", f"{__name__}:Trend", "sim-extras"))
    cls = model_class("trend")
    assert cls is Trend
    model = cls(ModelSettings(initial_price=100.0, tick_seconds=1.0, tick_size=0.01), rng_for(1, "X"))
    assert model.advance(3) == 103.0
    assert "trend" in model_names()


def test_an_unknown_name_lists_the_known_ones_and_the_nearest(installed):
    with pytest.raises(UnknownModelError) as caught:
        model_class("gmb")
    message = str(caught.value)
    assert "'gmb'" in message
    assert ", ".join(sorted(BUILT_INS)) in message
    assert "did you mean 'gbm'?" in message


def test_an_unknown_name_far_from_all_has_no_suggestion(installed):
    with pytest.raises(UnknownModelError) as caught:
        model_class("heston")
    assert "did you mean" not in str(caught.value)


def test_an_unknown_name_with_nothing_installed(monkeypatch):
    monkeypatch.setattr(metadata, "entry_points", lambda *, group: [])
    with pytest.raises(UnknownModelError, match="none installed"):
        model_class("gbm")


def test_a_name_claimed_by_two_distributions_names_both(installed):
    installed.append(FakeEntryPoint("gbm", "othersim.models:Gbm", "othersim"))
    with pytest.raises(ModelLoadError) as caught:
        model_class("gbm")
    message = str(caught.value)
    assert "'gbm'" in message
    assert "distribution 'exchangesim'" in message
    assert "distribution 'othersim' (othersim.models:Gbm)" in message


def test_the_same_entry_point_listed_twice_is_not_a_conflict(installed):
    installed.append(FakeEntryPoint("gbm", BUILT_INS["gbm"], "exchangesim"))
    assert model_class("gbm") is GeometricBrownianMotion


def test_an_entry_point_that_does_not_import_names_its_distribution_and_the_error(installed):
    installed.append(FakeEntryPoint("broken", "no_such_module_here:Model", "sim-broken"))
    with pytest.raises(ModelLoadError) as caught:
        model_class("broken")
    message = str(caught.value)
    assert "distribution 'sim-broken'" in message
    assert "ModuleNotFoundError" in message
    assert "no_such_module_here" in message
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_an_entry_point_that_is_not_a_price_model_is_refused(installed):
    installed.append(FakeEntryPoint("dict", "collections:OrderedDict", "sim-odd"))
    installed.append(FakeEntryPoint("function", "math:sqrt", "sim-odd"))
    for name in ("dict", "function"):
        with pytest.raises(ModelLoadError, match="not a PriceModel subclass") as caught:
            model_class(name)
        assert "distribution 'sim-odd'" in str(caught.value)


def test_an_entry_point_without_a_distribution_is_still_reported(monkeypatch):
    entry = metadata.EntryPoint("loose", "no_such_module_here:Model", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(metadata, "entry_points", lambda *, group: [entry])
    with pytest.raises(ModelLoadError, match="an unknown distribution"):
        model_class("loose")
