"""Run ``twistd exchangesim`` as a subprocess on a free loopback port, keeping everything it prints."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

__all__ = ["Daemon", "DaemonError"]

READY_TIMEOUT = 60.0
# twistd from this interpreter, whatever the scripts directory is called and whether it is on PATH.
TWISTD = [sys.executable, "-c", "import sys; from twisted.scripts.twistd import run; sys.exit(run())"]


class DaemonError(RuntimeError):
    """The daemon did not come up; the message holds what it printed."""


class Daemon:
    """A running daemon: its process, the port it bound and its output so far.

    A thread drains the output all along: an unread pipe fills up (the access log alone does it in a few
    hundred requests) and would block the daemon in the middle of serving.
    """

    def __init__(
        self,
        workdir: Path,
        args: Sequence[str],
        timeout: float = READY_TIMEOUT,
        twistd: Sequence[str] = TWISTD,
        env: dict[str, str] | None = None,
    ) -> None:
        """Start ``twistd exchangesim *args`` in ``workdir`` and wait until it answers health checks."""
        self.workdir = workdir
        self.port_file = workdir / "exchangesim.port"
        listen = ["--listen", "tcp:0:interface=127.0.0.1", "--port-file", str(self.port_file)]
        command = [*twistd, "--nodaemon", "--pidfile=", "exchangesim", *listen, *args]
        self.process = subprocess.Popen(
            command,
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self.lines: list[str] = []
        self._listening = threading.Event()
        self._drain_thread = threading.Thread(target=self._drain, name="exchangesim-log", daemon=True)
        self._drain_thread.start()
        try:
            self.port = self._wait_until_listening(timeout)
            self._wait_until_healthy(timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def printed(self, since_line: int = 0) -> str:
        """What the daemon printed, from line ``since_line`` on."""
        return "".join(self.lines[since_line:])

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace")
            self.lines.append(line)
            if "listening on" in line:
                self._listening.set()
        self._listening.set()  # the daemon exited: wake the waiter, which finds no port

    def _wait_until_listening(self, timeout: float) -> int:
        if not self._listening.wait(timeout):
            raise DaemonError(f"exchangesim did not listen within {timeout:g} s:\n{self.printed()}")
        if self.process.poll() is not None or not self.port_file.exists():
            self.process.wait()
            raise DaemonError(f"exchangesim exited with {self.process.returncode}:\n{self.printed()}")
        return int(self.port_file.read_text())

    def _wait_until_healthy(self, timeout: float) -> None:
        """Ask ``/api/v1/health`` until it says ok: listening is not yet serving on a busy machine."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/v1/health", timeout=5) as response:
                    if json.load(response).get("status") == "ok":
                        return
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise DaemonError(f"exchangesim did not answer health checks:\n{self.printed()}")
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then wait for the exit code (killing it if it does not stop within ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._drain_thread.join(timeout)
        return self.process.returncode
