"""Price models by name, from the entry point group ``exchangesim.price_models`` (built-ins included)."""

from __future__ import annotations

import difflib
from importlib import metadata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exchangesim.marketdata.models import PriceModel

__all__ = ["ENTRY_POINT_GROUP", "ModelLoadError", "UnknownModelError", "model_class", "model_names"]

ENTRY_POINT_GROUP = "exchangesim.price_models"


class UnknownModelError(LookupError):
    """No installed distribution registers a price model of that name."""


class ModelLoadError(LookupError):
    """A price model's entry point is claimed twice, does not import, or is not a PriceModel subclass."""


def model_names() -> list[str]:
    """The names of the installed price models, sorted."""
    return sorted({entry.name for entry in metadata.entry_points(group=ENTRY_POINT_GROUP)})


def model_class(name: str) -> type[PriceModel]:
    """The PriceModel subclass registered under ``name``."""
    # Imported here: listing the names needs no numpy.
    from exchangesim.marketdata.models import PriceModel

    found = {
        (_distribution(entry), entry.value): entry
        for entry in metadata.entry_points(group=ENTRY_POINT_GROUP)
        if entry.name == name
    }
    if not found:
        raise UnknownModelError(_unknown(name))
    if len(found) > 1:
        claims = " and ".join(f"{dist} ({value})" for dist, value in found)
        raise ModelLoadError(f"price model {name!r} is registered by more than one distribution: {claims}")
    [((dist, value), entry)] = found.items()
    try:
        loaded = entry.load()
    except Exception as exc:
        raise ModelLoadError(f"price model {name!r} of {dist} does not import ({value}): {exc!r}") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, PriceModel)):
        raise ModelLoadError(f"price model {name!r} of {dist} is {value}, not a PriceModel subclass")
    return loaded


def _distribution(entry: metadata.EntryPoint) -> str:
    """The name of the distribution that registers ``entry``, for messages."""
    return f"distribution {entry.dist.name!r}" if entry.dist is not None else "an unknown distribution"


def _unknown(name: str) -> str:
    """The message for a name nobody registers: the known names and the closest one."""
    names = model_names()
    message = f"unknown price model {name!r}; known models: {', '.join(names) or 'none installed'}"
    close = difflib.get_close_matches(name, names, n=1)
    return f"{message} (did you mean {close[0]!r}?)" if close else message
