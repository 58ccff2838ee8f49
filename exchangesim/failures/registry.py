"""Failure modes by name, from the entry point group ``exchangesim.failure_modes`` (built-ins included).

Only the modes a configuration names are imported; each is checked against ``IFailureMode``.
"""

from __future__ import annotations

from zope.interface.exceptions import Invalid
from zope.interface.verify import verifyObject

from ..plugins import PluginLoadError, distribution_of, load_plugin, plugin_names
from .interface import LAYERS, STAGES, IFailureMode

__all__ = ["ENTRY_POINT_GROUP", "ModeLoadError", "mode_for", "mode_names"]

ENTRY_POINT_GROUP = "exchangesim.failure_modes"

ModeLoadError = PluginLoadError

_loaded: dict[str, IFailureMode] = {}


def mode_names() -> list[str]:
    """The names of the installed failure modes, sorted."""
    return plugin_names(ENTRY_POINT_GROUP)


def mode_for(name: str) -> IFailureMode:
    """The mode registered under ``name`` (loaded once); ``LookupError`` names what is wrong."""
    mode = _loaded.get(name)
    if mode is None:
        mode = _loaded[name] = _load(name)
    return mode


def _load(name: str) -> IFailureMode:
    loaded = load_plugin(ENTRY_POINT_GROUP, name, "failure mode")
    where = distribution_of(ENTRY_POINT_GROUP, name)
    try:
        mode = loaded() if isinstance(loaded, type) else loaded
        verifyObject(IFailureMode, mode)
    except (Invalid, TypeError) as error:
        raise ModeLoadError(
            f"failure mode {name!r} of {where} does not provide IFailureMode: {error}"
        ) from None
    if mode.name != name:
        raise ModeLoadError(f"failure mode {name!r} of {where} calls itself {mode.name!r}")
    if not mode.layers or not set(mode.layers) <= set(LAYERS) or not set(mode.stages) <= set(STAGES):
        raise ModeLoadError(f"failure mode {name!r} of {where} declares unknown layers or stages")
    if "rest" in mode.layers and not mode.stages:
        raise ModeLoadError(f"failure mode {name!r} of {where} acts on rest but declares no stages")
    return mode
