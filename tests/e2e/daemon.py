"""Run ``twistd exchangesim`` as a subprocess on a free loopback port and wait until it listens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

TWISTD = str(Path(sys.executable).with_name("twistd"))
READY_TIMEOUT = 30.0


class Daemon:
    """A running daemon: its process, the port it bound and everything it printed.

    A thread drains the daemon's output all along: an unread pipe fills up (the access log alone does
    it in a few hundred requests) and would block the daemon in the middle of serving.
    """

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
        self._lines: list[str] = []
        self._listening = threading.Event()
        self._drained = threading.Thread(target=self._drain, daemon=True)
        self._drained.start()
        self.port = self._wait_until_listening()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        """Everything the daemon printed so far."""
        return "".join(self._lines)

    def _drain(self) -> None:
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace")
            self._lines.append(line)
            if "listening on" in line:
                self._listening.set()
        self._listening.set()  # the daemon exited: wake the waiter, which finds no port

    def _wait_until_listening(self) -> int:
        """Wait until the daemon says it listens (or it dies, or the deadline passes)."""
        if not self._listening.wait(READY_TIMEOUT):
            self.stop()
            raise AssertionError(f"the daemon did not listen in time:\n{self.output}")
        if "listening on" not in self.output:
            self.process.wait()
            raise AssertionError(f"the daemon exited with {self.process.returncode}:\n{self.output}")
        return int(self.port_file.read_text())

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then wait for the exit code (killing it if it does not stop within ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._drained.join()
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
