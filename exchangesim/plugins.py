"""Plugins found through entry point groups: one lookup for price models and failure modes alike.

A name must be registered by exactly one distribution; a collision names both, and a plugin that does
not import names its distribution, so a user knows which package to fix or uninstall.
"""

from __future__ import annotations

import difflib
from importlib import metadata

__all__ = ["PluginLoadError", "UnknownPluginError", "distribution_of", "load_plugin", "plugin_names"]


class UnknownPluginError(LookupError):
    """No installed distribution registers a plugin of that name in the group."""


class PluginLoadError(LookupError):
    """A plugin name is claimed twice, or its entry point does not import."""


def plugin_names(group: str) -> list[str]:
    """The names registered in ``group``, sorted."""
    return sorted({entry.name for entry in metadata.entry_points(group=group)})


def load_plugin(group: str, name: str, what: str) -> object:
    """The object ``name`` points at in ``group``; ``what`` names the kind of plugin in messages."""
    found = {
        (_distribution(entry), entry.value): entry
        for entry in metadata.entry_points(group=group)
        if entry.name == name
    }
    if not found:
        raise UnknownPluginError(_unknown(group, name, what))
    if len(found) > 1:
        claims = " and ".join(f"{dist} ({value})" for dist, value in found)
        raise PluginLoadError(f"{what} {name!r} is registered by more than one distribution: {claims}")
    [((dist, value), entry)] = found.items()
    try:
        return entry.load()
    except Exception as exc:
        raise PluginLoadError(f"{what} {name!r} of {dist} does not import ({value}): {exc!r}") from exc


def distribution_of(group: str, name: str) -> str:
    """Which distribution registers ``name`` in ``group``, for messages."""
    for entry in metadata.entry_points(group=group):
        if entry.name == name:
            return _distribution(entry)
    return "an unknown distribution"


def _distribution(entry: metadata.EntryPoint) -> str:
    return f"distribution {entry.dist.name!r}" if entry.dist is not None else "an unknown distribution"


def _unknown(group: str, name: str, what: str) -> str:
    """The message for a name nobody registers: the known names and the closest one."""
    names = plugin_names(group)
    message = f"unknown {what} {name!r}; known {what}s: {', '.join(names) or 'none installed'}"
    close = difflib.get_close_matches(name, names, n=1)
    return f"{message} (did you mean {close[0]!r}?)" if close else message
