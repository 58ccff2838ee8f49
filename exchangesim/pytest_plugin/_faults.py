"""What ``@pytest.mark.exchangesim_faults`` asks for: named presets, INI profiles or one fault's keys."""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["PRESETS", "faults_of_markers", "read_profile"]

PRESETS: Mapping[str, Mapping[str, str]] = {
    # The engine takes the order; its acknowledgement never arrives (find it by client order id).
    "ack-loss": {"mode": "drop", "layer": "rest", "stage": "post_engine", "route": "POST /api/v1/orders"},
    # Every 50th BOOK message a connection gets is lost: a gap in seq.
    "book-gaps": {"mode": "drop", "layer": "ws", "channel": "BOOK", "nth": "50"},
    # Every REST request is answered 503 before it reaches the engine.
    "venue-down": {"mode": "outage", "layer": "rest"},
}
"""Faults a marker can name: ``@pytest.mark.exchangesim_faults("ack-loss")``."""

SECTION_PREFIX = "failure:"


def faults_of_markers(markers: Iterable[Any], base: Path) -> dict[str, dict[str, str]]:
    """Every fault the markers of a test ask for, by name; relative profile paths start at ``base``.

    A marker takes presets and INI profile paths as arguments, or one fault as ``name=..., mode=...,
    <keys>``; with a single preset, keywords change its keys.
    """
    faults: dict[str, dict[str, str]] = {}
    for marker in markers:
        named = dict(marker.kwargs)
        found: dict[str, dict[str, str]] = {}
        for arg in marker.args:
            found.update(_faults_of_argument(arg, base))
        if "name" in named:
            name = str(named.pop("name"))
            if "mode" not in named and name not in PRESETS:
                raise ValueError(f"exchangesim_faults(name={name!r}) needs a mode=")
            found[name] = {**PRESETS.get(name, {}), **_text(named)}
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


def read_profile(path: Path) -> dict[str, dict[str, str]]:
    """The ``[failure:NAME]`` sections of an INI file (other sections are ignored)."""
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    with open(path, encoding="utf-8") as file:
        parser.read_file(file)
    faults = {
        section[len(SECTION_PREFIX) :].strip(): dict(parser[section])
        for section in parser.sections()
        if section.startswith(SECTION_PREFIX)
    }
    if not faults:
        raise ValueError(f"{path} has no [failure:NAME] section")
    return faults


def _faults_of_argument(arg: Any, base: Path) -> dict[str, dict[str, str]]:
    if isinstance(arg, str) and arg in PRESETS:
        return {arg: dict(PRESETS[arg])}
    if isinstance(arg, (str, os.PathLike)):
        path = base / Path(arg)  # an absolute path stays itself
        if path.is_file():
            return read_profile(path)
        known = ", ".join(PRESETS)
        raise ValueError(f"exchangesim_faults: {arg!r} is neither a preset ({known}) nor a file ({path})")
    raise TypeError(f"exchangesim_faults takes preset names and INI paths, not {arg!r}")


def _text(keys: Mapping[str, Any]) -> dict[str, str]:
    return {key: (str(v).lower() if isinstance(v, bool) else str(v)) for key, v in keys.items()}
