"""Run a client's driver in that client's venv against a daemon, and read back what the client returned.

Each client gets its own venv (``make client-venvs``): binance-connector and python-binance both install
a top-level ``binance`` package. The quiet market of the ccxt suite (slow ticks, no agents) means only
the drivers move the books.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ..daemon import Daemon, running
from ..test_ccxt import KEYS, QUIET

ROOT = Path(__file__).resolve().parents[3]
DRIVERS = Path(__file__).resolve().parent
DRIVER_TIMEOUT = 60.0

RunScenario = Callable[[str], dict[str, Any]]
"""Runs a scenario of one client's driver against one daemon (``drive`` with both given); the report."""


@contextmanager
def quiet_daemon(workdir: Path) -> Iterator[Daemon]:
    """A daemon with the ccxt suite's quiet market and accounts (alice, bob), for a ``with`` body."""
    lines = list(QUIET)
    for name, (key, secret) in KEYS.items():
        lines += [f"[account:{name}]", f"api_key = {key}", f"api_secret = {secret}"]
    with running(workdir, "\n".join(lines) + "\n") as daemon:
        yield daemon


def drive(client: str, daemon: Daemon, scenario: str) -> dict[str, Any]:
    """Run ``scenario`` of ``client``'s driver (``clients/<client>_driver.py``, dashes as underscores)
    with its venv's python; what the driver printed, as JSON. Fails the test when the venv is missing
    or the driver fails."""
    python = ROOT / ".venv-clients" / client / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: build the client venvs with `make client-venvs`", pytrace=False)
    driver = DRIVERS / f"{client.replace('-', '_')}_driver.py"
    target = {"base_url": daemon.base_url, "keys": KEYS}
    finished = subprocess.run(
        [str(python), str(driver), scenario, json.dumps(target)],
        capture_output=True,
        text=True,
        timeout=DRIVER_TIMEOUT,
    )
    if finished.returncode != 0:
        pytest.fail(
            f"{driver.name} {scenario} exited {finished.returncode}:\n{finished.stderr}", pytrace=False
        )
    return json.loads(finished.stdout)
