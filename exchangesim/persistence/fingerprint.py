"""The configuration fingerprint a journal and its snapshots are bound to."""

from __future__ import annotations

import hashlib

import attrs

from ..config import Config, FailuresConfig, PersistenceConfig, ServerConfig, render_ini

__all__ = ["config_fingerprint"]


def config_fingerprint(config: Config) -> str:
    """SHA-256 of the settings that shape the state: everything but [server], [failures],
    [failure:NAME] and [persistence], which a restart may change freely (a new port, other faults)."""
    shaping = attrs.evolve(
        config,
        server=ServerConfig(),
        failures=FailuresConfig(),
        faults={},
        persistence=PersistenceConfig(),
    )
    return hashlib.sha256(render_ini(shaping).encode()).hexdigest()
