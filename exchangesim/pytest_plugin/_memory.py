"""The ``exchangesim_memory`` fixture: a venue of the test's own, in memory (``exchangesim.testing``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["exchangesim_memory", "memory_venue"]


def memory_venue(config: Any, seed: int) -> Any:
    """``exchangesim.testing.venue`` from the suite's ``exchangesim_config`` (INI text, a path, a
    ``Config`` or None) and the seed in force."""
    from exchangesim.testing import venue  # the whole service: only for the suites that use it

    if isinstance(config, os.PathLike):
        config = os.fspath(config)
    return venue(config or None, seed)


@pytest.fixture
def exchangesim_memory(exchangesim_config: Any, exchangesim_seed: int) -> Iterator[Any]:
    """A venue of this test's own on a memory reactor (no socket, no real clock): ``advance(seconds)``,
    ``call``, ``http``, ``websocket``, ``admin``, ``new_account``, ``faults_injected``; stopped after it."""
    memory = memory_venue(exchangesim_config, exchangesim_seed)
    try:
        yield memory
    finally:
        memory.stop()
