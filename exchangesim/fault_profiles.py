"""Fault profiles: named sets of ``[failure:NAME]`` sections, as in the daemon's INI.

The built-in ones ship in ``exchangesim/failures/profiles/*.ini`` (``etc/profiles`` in the repository)
and serve both the pytest plugin's markers and ``python -m exchangesim.client --faults``; any INI file
of ``[failure:NAME]`` sections is a profile too, read by the daemon's own INI parser. Reading loads no
failure mode (the pytest plugin loads with every pytest run); ``check_profile`` parses each fault with
the daemon's spec parser, so a mistake is named by file, section and key before anything reaches a
daemon.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .config import ConfigError, ini_parser

if TYPE_CHECKING:
    from .failures.spec import FaultSpec

__all__ = ["PROFILES_DIR", "ProfileError", "check_profile", "find_profile", "profile_names", "read_profile"]

PROFILES_DIR = Path(__file__).resolve().parent / "failures" / "profiles"
SECTION_PREFIX = "failure:"

Faults = dict[str, dict[str, str]]
"""Fault name -> its keys as text, as a ``[failure:NAME]`` section gives them."""


class ProfileError(ValueError):
    """A profile cannot be used; the message names the file, and the section and key at fault."""


def profile_names() -> list[str]:
    """The built-in profiles, by name (a file's name without ``.ini``)."""
    return sorted(path.stem for path in PROFILES_DIR.glob("*.ini"))


def find_profile(name_or_path: str | os.PathLike[str], base: Path | None = None) -> Path:
    """The file of a built-in profile's name, or of an INI path (relative to ``base`` if given)."""
    if isinstance(name_or_path, str) and name_or_path in profile_names():
        return PROFILES_DIR / f"{name_or_path}.ini"
    path = Path(name_or_path)
    if base is not None:
        path = base / path  # an absolute path stays itself
    if path.is_file():
        return path
    known = ", ".join(profile_names())
    raise ProfileError(f"{os.fspath(name_or_path)!r} is neither a profile ({known}) nor a file ({path})")


def read_profile(path: str | os.PathLike[str]) -> Faults:
    """The ``[failure:NAME]`` sections of an INI file, in order (other sections are ignored)."""
    parser = ini_parser()
    try:
        with open(path, encoding="utf-8") as file:
            parser.read_file(file)
    except (OSError, UnicodeDecodeError, configparser.Error) as error:
        raise ProfileError(f"{os.fspath(path)}: {' '.join(str(error).split())}") from None
    faults = {
        section[len(SECTION_PREFIX) :].strip(): dict(parser[section])
        for section in parser.sections()
        if section.startswith(SECTION_PREFIX)
    }
    if not faults:
        raise ProfileError(f"{os.fspath(path)} has no [failure:NAME] section")
    return faults


def check_profile(path: str | os.PathLike[str], faults: Mapping[str, Mapping[str, str]]) -> list[FaultSpec]:
    """Each fault parsed as the daemon parses it; ``ProfileError`` lists every problem at once."""
    # Imported here: the failure modes (and Twisted) load only for a check.
    from .failures.registry import mode_for
    from .failures.sections import fault_problems
    from .failures.spec import parse_fault

    problems = fault_problems(faults, lambda section: os.fspath(path))
    if problems:
        raise ProfileError(str(ConfigError(problems, "fault profile")))
    return [parse_fault(name, dict(keys), mode_for) for name, keys in faults.items()]
