"""The configuration a journal and its snapshots are bound to, and which changes of it a restart takes.

Every file's header keeps the settings that shape the state (everything but [server], [failures],
[failure:NAME] and [persistence], which a restart may change freely: a new port, other faults), section
by section. A restart resumes when its configuration differs from them only by new symbols and
accounts (the persistence service opens those on top of the saved state), and refuses otherwise,
naming each setting that differs.
"""

from __future__ import annotations

import hashlib
from typing import Any

import attrs

from ..config import Config, FailuresConfig, PersistenceConfig, ServerConfig, ini_parser, render_ini

__all__ = ["StateBinding", "config_fingerprint", "config_shape", "shape_changes"]

Shape = dict[str, dict[str, str]]
"""INI section -> key -> value as text, of the settings that shape the state."""

ADDABLE = ("symbol:", "account:")
"""Sections a restart may add on top of a saved state."""

_HASHED = ("api_secret",)
"""Keys kept as a digest: a changed secret is noticed without the header holding it."""


def config_fingerprint(config: Config) -> str:
    """SHA-256 of the settings that shape the state (the form older versions bound their files to)."""
    return hashlib.sha256(render_ini(_shaping(config)).encode()).hexdigest()


def config_shape(config: Config) -> Shape:
    """The settings that shape the state, by section; symbols not traded are left out."""
    parser = ini_parser()
    parser.read_string(render_ini(_shaping(config)))
    traded = {f"symbol:{name}" for name in config.exchange.symbols}
    shape = {}
    for section in parser.sections():
        if section.startswith("symbol:") and section not in traded:
            continue
        shape[section] = {
            key: _digest(value) if key in _HASHED and value else value for key, value in parser.items(section)
        }
    return shape


def shape_changes(saved: Shape, current: Shape) -> list[str]:
    """Each difference between the settings a state was saved under and ``current`` that a restart
    cannot apply on top of it (a new symbol or account it can: those are not listed)."""
    changes = []
    for section in sorted(saved.keys() | current.keys()):
        old, new = saved.get(section), current.get(section)
        if new is None:
            changes.append(f"[{section}] is in the saved state but not in the configuration")
            continue
        if old is None:
            if not section.startswith(ADDABLE):
                changes.append(f"[{section}] is in the configuration but not in the saved state")
            continue
        # A key only one side has is one a version of exchangesim did not know yet: not a change.
        for key in sorted(old.keys() & new.keys()):
            before, now = old[key], new[key]
            if section == "exchange" and key == "symbols":
                gone = [name for name in _names(before) if name not in _names(now)]
                if gone:
                    changes.append(f"[exchange] symbols: {', '.join(gone)} no longer listed")
            elif before != now:
                if key in _HASHED:
                    changes.append(f"[{section}] {key} changed")
                else:
                    changes.append(f"[{section}] {key}: {before!r} when the state was saved, {now!r} now")
    return changes


@attrs.frozen
class StateBinding:
    """What a configuration binds the files it writes to, and which saved files it may resume."""

    fingerprint: str
    shape: Shape

    @classmethod
    def of(cls, config: Config) -> StateBinding:
        return cls(config_fingerprint(config), config_shape(config))

    def header(self) -> dict[str, Any]:
        """The header fields of a file written under this configuration."""
        return {"fingerprint": self.fingerprint, "shape": self.shape}

    def refusal(self, header: dict[str, Any]) -> list[str] | None:
        """Why a file written under ``header`` cannot be resumed (None: it can); an empty list when the
        file (of an older version) says only that the settings differ, not which."""
        saved = header.get("shape")
        if not isinstance(saved, dict):  # older versions kept the fingerprint alone: same settings only
            return None if header.get("fingerprint") == self.fingerprint else []
        return shape_changes(saved, self.shape) or None


def _shaping(config: Config) -> Config:
    return attrs.evolve(
        config,
        server=ServerConfig(),
        failures=FailuresConfig(),
        faults={},
        persistence=PersistenceConfig(),
    )


def _names(symbols: str) -> list[str]:
    return [name.strip() for name in symbols.split(",") if name.strip()]


def _digest(value: str) -> str:
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
