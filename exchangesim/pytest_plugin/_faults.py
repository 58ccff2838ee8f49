"""What ``@pytest.mark.exchangesim_faults`` asks for: built-in profiles, INI profiles or one fault's keys."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..fault_profiles import ProfileError, find_profile, profile_names, read_profile

__all__ = ["PRESETS", "faults_of_markers", "read_profile"]

PRESETS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    name: read_profile(find_profile(name)) for name in profile_names()
}
"""The built-in fault profiles (``exchangesim/failures/profiles``) a marker can name, each a set of
faults: ``@pytest.mark.exchangesim_faults("ack-loss")``."""


def faults_of_markers(markers: Iterable[Any], base: Path) -> dict[str, dict[str, str]]:
    """Every fault the markers of a test ask for, by name; relative profile paths start at ``base``.

    A marker takes preset names and INI profile paths as arguments, or one fault as ``name=...,
    mode=..., <keys>`` (``name="ack-loss"``: a preset's fault of the preset's own name starts from its
    keys); with a single fault from its arguments, keywords change its keys.
    """
    faults: dict[str, dict[str, str]] = {}
    for marker in markers:
        named = dict(marker.kwargs)
        found: dict[str, dict[str, str]] = {}
        for arg in marker.args:
            found.update(_faults_of_argument(arg, base))
        if "name" in named:
            name = str(named.pop("name"))
            preset = _preset_fault(name)
            if "mode" not in named and preset is None:
                raise ValueError(f"exchangesim_faults(name={name!r}) needs a mode=")
            found[name] = {**(preset or {}), **_text(named)}
        elif named:
            if len(found) != 1:
                raise ValueError(
                    "exchangesim_faults: keywords without name= change one preset or profile fault, "
                    f"and this marker gives {len(found)}"
                )
            (keys,) = found.values()
            keys.update(_text(named))
        for name in found:
            if name in faults:
                raise ValueError(f"exchangesim_faults: fault {name!r} is asked for twice")
        faults.update(found)
    return faults


def _preset_fault(name: str) -> Mapping[str, str] | None:
    """The keys of the fault called ``name`` in the preset of that name (``ack-loss``), if there is one."""
    return PRESETS.get(name, {}).get(name)


def _faults_of_argument(arg: Any, base: Path) -> dict[str, dict[str, str]]:
    if isinstance(arg, str) and arg in PRESETS:
        return {name: dict(keys) for name, keys in PRESETS[arg].items()}
    if isinstance(arg, (str, os.PathLike)):
        try:
            return read_profile(find_profile(Path(arg), base))
        except ProfileError as error:
            raise ValueError(f"exchangesim_faults: {error}") from None
    raise TypeError(f"exchangesim_faults takes preset names and INI paths, not {arg!r}")


def _text(keys: Mapping[str, Any]) -> dict[str, str]:
    return {key: (str(v).lower() if isinstance(v, bool) else str(v)) for key, v in keys.items()}
