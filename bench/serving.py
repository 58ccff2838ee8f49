"""The serving side shared by the benchmarks' server processes: quiet logs, and stdin as the control line.

A server process prints ``port N`` once it listens, answers the commands its parent writes to its
stdin, and stops when stdin closes, or when the run outlives its bound. The parent starts and stops
it with ``start_server`` and ``stop_server``, reads what it spent with ``cpu_seconds``, and picks a
target's ``median_run`` of several rounds.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.stdio import StandardIO
from twisted.logger import (
    FilteringLogObserver,
    LogLevel,
    LogLevelFilterPredicate,
    globalLogBeginner,
    textFileLogObserver,
)
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure

__all__ = [
    "StdinControl",
    "cpu_seconds",
    "fresh_data_dir",
    "log_warnings_only",
    "median_run",
    "serve_until_stdin_closes",
    "start_server",
    "stop_server",
]

START_TIMEOUT_S = 60.0  # for a server process to print its port
STOP_TIMEOUT_S = 30.0  # for it to end once its stdin closed, before it is killed


def fresh_data_dir(config: Any) -> None:
    """Journal into an empty folder removed at exit: the packaged policy is measured, and no run
    recovers the state an earlier one left behind."""
    path = tempfile.mkdtemp(prefix="exchangesim-bench-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    config.persistence.path = path


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_warnings_only() -> None:
    """Send warnings and worse to stderr, nothing else: stdout is the control line."""
    warnings = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
    globalLogBeginner.beginLoggingTo([FilteringLogObserver(textFileLogObserver(sys.stderr), [warnings])])


class StdinControl(LineReceiver):
    """Each line from the parent is a command; ``answer`` returns the JSON reply to print, or None."""

    delimiter = b"\n"

    def __init__(self, answer: Callable[[bytes], dict[str, Any] | None]) -> None:
        self._answer = answer
        self.stopped: Deferred[None] = Deferred()

    def lineReceived(self, line: bytes) -> None:
        reply = self._answer(line)
        if reply is not None:
            self.sendLine(json.dumps(reply).encode())

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.finish()

    def finish(self, failure: Failure | None = None) -> None:
        """Stop serving (with ``failure``, the run failed)."""
        if self.stopped.called:
            return
        if failure is None:
            self.stopped.callback(None)
        else:
            self.stopped.errback(failure)


async def serve_until_stdin_closes(
    reactor: IReactorTime, port: int, control: StdinControl, bound: float
) -> None:
    """Announce ``port``, then serve until stdin closes or ``bound`` seconds have passed (a failure).

    What the server made at start is frozen out of the collector's way first, as the daemon does once
    started (``exchangesim.tap``)."""
    gc.freeze()
    StandardIO(control, reactor=reactor)
    control.sendLine(f"port {port}".encode())
    overdue = reactor.callLater(bound, control.finish, Failure(TimeoutError("the run outlived its bound")))
    try:
        await control.stopped
    finally:
        if overdue.active():
            overdue.cancel()


# -- the parent's side ------------------------------------------------------------------------------
async def start_server(argv: list[str]) -> tuple[asyncio.subprocess.Process, int]:
    """Start ``python argv`` as a server process and return it with the port its ``port N`` line gave."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=START_TIMEOUT_S)
        name, _, port = line.decode().partition(" ")
        if name != "port" or not port.strip().isdigit():
            raise RuntimeError(f"{argv} did not report a port (it printed {line!r})")
    except BaseException:
        await stop_server(process)
        raise
    return process, int(port)


async def stop_server(process: asyncio.subprocess.Process) -> None:
    """Close the server's stdin, which stops it, and wait for it to end; kill it if it takes too long."""
    assert process.stdin is not None
    process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()


def median_run(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The run with the median ``key`` (the lower of an even count), plus every run's as ``runs_KEY``."""
    ranked = sorted(runs, key=lambda run: run[key])
    return {**ranked[(len(ranked) - 1) // 2], f"runs_{key}": [run[key] for run in runs]}
