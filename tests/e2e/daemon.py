"""Run ``twistd exchangesim`` as a subprocess on a free loopback port and wait until it listens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from exchangesim.pytest_plugin import Daemon as PluginDaemon

TWISTD = str(Path(sys.executable).with_name("twistd"))
READY_TIMEOUT = 30.0


class Daemon(PluginDaemon):
    """The pytest plugin's daemon runner with this repository's twistd, started as ``Daemon(dir, *args)``
    (``wrapper``: a command that runs twistd, e.g. ``prlimit ...``), its output a string (``output``)."""

    def __init__(self, workdir: Path, *args: str, wrapper: tuple[str, ...] = ()) -> None:
        super().__init__(workdir, args, READY_TIMEOUT, [*wrapper, TWISTD], _clean_env())

    @property
    def output(self) -> str:
        """Everything the daemon printed so far."""
        return self.printed()

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """One JSON request; (status, decoded answer), an error status included."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)


@contextmanager
def running(workdir: Path, config_text: str) -> Iterator[Daemon]:
    """A daemon configured by ``config_text`` for the ``with`` body (a module fixture's life); stopped
    after it, its output must hold no traceback."""
    config = workdir / "sim.ini"
    config.write_text(config_text, encoding="utf-8")
    daemon = Daemon(workdir, "--config", str(config))
    try:
        yield daemon
    finally:
        daemon.stop()
    assert "Traceback (most recent call last)" not in daemon.output, daemon.output


def run_twistd(workdir: Path, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run twistd to completion (for start-ups that must fail), capturing its output."""
    return subprocess.run(
        [TWISTD, "--nodaemon", "--pidfile=", "exchangesim", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_clean_env(),
    )


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env
