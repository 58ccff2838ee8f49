"""Run ``twistd exchangesim`` as a subprocess on a free loopback port and wait until it listens."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

TWISTD = str(Path(sys.executable).with_name("twistd"))
READY_TIMEOUT = 30.0


class Daemon:
    """A running daemon: its process, the port it bound and everything it printed."""

    def __init__(self, workdir: Path, *args: str) -> None:
        self.port_file = workdir / "exchangesim.port"
        command = [
            TWISTD,
            "--nodaemon",
            "--pidfile=",
            "exchangesim",
            "--listen",
            "tcp:0:interface=127.0.0.1",
            "--port-file",
            str(self.port_file),
            *args,
        ]
        self.process = subprocess.Popen(
            command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_clean_env()
        )
        self.output = ""
        self.port = self._wait_until_listening()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_listening(self) -> int:
        """Read the daemon's log until it says it listens (or it dies, or the deadline passes)."""
        deadline = time.monotonic() + READY_TIMEOUT
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while "listening on" not in self.output:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    self.stop()
                    raise AssertionError(f"the daemon did not listen in time:\n{self.output}")
                line = self.process.stdout.readline().decode("utf-8", "replace")
                if not line:
                    self.process.wait()
                    raise AssertionError(f"the daemon exited with {self.process.returncode}:\n{self.output}")
                self.output += line
        return int(self.port_file.read_text())

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then wait for the exit code (killing it if it does not stop within ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            rest, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            rest, _ = self.process.communicate()
        self.output += rest.decode("utf-8", "replace")
        return self.process.returncode


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
