"""Where a configuration file writes each section and key: the line, and the name as the user wrote it.

configparser keeps no line numbers and lower-cases keys, and a config.json key becomes an INI key of
another name, so problems found after parsing are placed by these maps instead.
"""

from __future__ import annotations

import configparser
import json
import re
from decimal import Decimal
from typing import Any

import attrs

from ._seedjson import Origins

__all__ = ()


@attrs.frozen
class Location:
    """A section (``key`` None) or key of one file: its line, and how the file names it and its value
    when that is not ``[section] key = value`` (a config.json path and JSON value)."""

    line: int | None
    written: str | None = None
    written_value: str | None = None


Locations = dict[tuple[str, str | None], Location]
"""(section, key) as the loader knows them -> where the file writes them."""

_COMMENT = ("#", ";")


def ini_locations(text: str) -> Locations:
    """The line of every section header and key of an INI text, with keys spelled otherwise than the
    parser spells them (``Seed`` for ``seed``)."""
    found: Locations = {}
    section = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(_COMMENT) or line[:1].isspace():
            continue  # blank, a comment, or a value's continuation
        header = configparser.ConfigParser.SECTCRE.match(stripped)
        if header:
            section = header.group("header")
            found.setdefault((section, None), Location(number))
            continue
        option = configparser.ConfigParser.OPTCRE.match(stripped)
        if option and section is not None:
            written = option.group("option").strip()
            key = written.lower()
            label = None if written == key else f"[{section}] {written}"
            found.setdefault((section, key), Location(number, label))
    return found


def json_locations(text: str, origins: Origins) -> Locations:
    """The line of every INI key read from a config.json text, named by its JSON path and value."""
    return {
        (section, key): Location(
            json_line(text, path), ".".join(path), None if key is None else json_text(value)
        )
        for (section, key), (path, value) in origins.items()
    }


def json_line(text: str, path: tuple[str, ...]) -> int | None:
    """The line where the member at ``path`` is written: each name searched for after the one before
    (the first match in document order, which is the member for any file json.loads accepts and
    whose names are not repeated in earlier siblings)."""
    position = 0
    for name in path:
        match = re.compile(re.escape(json.dumps(name)) + r"\s*:").search(text, position)
        if match is None:
            return None
        position = match.start()
    return text.count("\n", 0, position) + 1


def json_text(value: Any) -> str | None:
    """A JSON value as it would be written; None for objects and arrays (named by their path alone)."""
    if isinstance(value, (dict, list)) or value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value)
