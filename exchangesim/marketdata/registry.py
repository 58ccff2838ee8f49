"""Price models by name, from the entry point group ``exchangesim.price_models`` (built-ins included)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..plugins import PluginLoadError, UnknownPluginError, distribution_of, load_plugin, plugin_names

if TYPE_CHECKING:
    from exchangesim.marketdata.models import PriceModel

__all__ = ["ENTRY_POINT_GROUP", "ModelLoadError", "UnknownModelError", "model_class", "model_names"]

ENTRY_POINT_GROUP = "exchangesim.price_models"

UnknownModelError = UnknownPluginError
ModelLoadError = PluginLoadError


def model_names() -> list[str]:
    """The names of the installed price models, sorted."""
    return plugin_names(ENTRY_POINT_GROUP)


def model_class(name: str) -> type[PriceModel]:
    """The PriceModel subclass registered under ``name``."""
    # Imported here: listing the names needs no numpy.
    from exchangesim.marketdata.models import PriceModel

    loaded = load_plugin(ENTRY_POINT_GROUP, name, "price model")
    if not (isinstance(loaded, type) and issubclass(loaded, PriceModel)):
        dist = distribution_of(ENTRY_POINT_GROUP, name)
        raise ModelLoadError(f"price model {name!r} of {dist} is {loaded!r}, not a PriceModel subclass")
    return loaded
