"""A reproducible market: two real daemons with the same seed and no client input trade the same fills,
tick for tick, even when one of them is stalled for seconds (SIGSTOP) and then catches up.

The two runs start a second or so apart and are stopped together, so they reach different market
times; their fills (``exchangesim replay --fills``) are compared up to the shorter run's last trade. A
tick's trades are journaled all together, so no tick is cut in half there.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

from .daemon import Daemon

EXCHANGESIM = str(Path(sys.executable).with_name("exchangesim"))
RUN_S = 20.0  # wall-clock seconds both daemons run (a run's length, not a wait for readiness)
STALL_AT_S = 8.0  # into the run, the second daemon is stopped ...
STALL_S = 2.0  # ... for this long
POLL_S = 0.25
STOP_TIMEOUT_S = 30.0
MIN_FILLS = 300
# The defaults (two symbols, liquidity on, 1 ms ticks: ~12% of a core per daemon) but a fixed seed and
# start time, so that absolute timestamps agree, and a busier taker (20 orders/s a symbol instead of 5),
# so that 20 s give hundreds of fills to compare and a stall of 2 s holds dozens of them.
CONFIG = """\
[server]
endpoint = tcp:0:interface=127.0.0.1
[exchange]
seed = 2024
start_time = 2024-01-01T00:00:00Z
tick_interval_ms = 1
[liquidity]
enabled = true
taker_rate = 20
[persistence]
path = {folder}
"""


def start(workdir: Path) -> Daemon:
    """A daemon of its own (port file, config and persistence folder under ``workdir``), serving."""
    workdir.mkdir()
    config = workdir / "sim.ini"
    config.write_text(CONFIG.format(folder=workdir / "data"), encoding="utf-8")
    return Daemon(workdir, "--config", str(config))


def health(daemon: Daemon) -> dict:
    status, answer = daemon.call("GET", "/api/v1/health")
    assert status == 200 and answer["status"] == "ok", answer
    return answer


def process_state(pid: int) -> str:
    """The kernel's one-letter state of ``pid`` (``T``: stopped by a signal)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


def wait_for_state(pid: int, state: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while process_state(pid) != state:
        assert time.monotonic() < deadline, f"process {pid} never reached state {state}"
        time.sleep(0.01)


def run_for(seconds: float, *daemons: Daemon) -> None:
    """Let ``seconds`` of wall clock pass, checking all along that every daemon still serves."""
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        for daemon in daemons:
            health(daemon)
        time.sleep(min(POLL_S, left))


def stop_together(*daemons: Daemon | None) -> list[int]:
    """SIGTERM to every daemon still running, at once, so that their runs end together; their exit codes."""
    running = [daemon for daemon in daemons if daemon is not None]
    for daemon in running:
        if daemon.process.poll() is None:
            daemon.process.send_signal(signal.SIGTERM)
    for daemon in running:
        try:
            daemon.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass  # stop() below kills it, and the exit code says so
    return [daemon.stop() for daemon in running]


def fills(workdir: Path) -> list[list[str]]:
    """The rows (header first) that ``exchangesim replay --fills`` writes for ``workdir``'s folder."""
    path = workdir / "fills.csv"
    replayed = subprocess.run(
        [EXCHANGESIM, "replay", str(workdir / "data"), "--fills", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def first_difference(steady: list[list[str]], stalled: list[list[str]]) -> str:
    """Where the two runs' fills part, with a few rows of each from there."""
    index = next((i for i, (a, b) in enumerate(zip(steady, stalled, strict=False)) if a != b), None)
    if index is None:
        index = min(len(steady), len(stalled))
    rows = []
    for i in range(index, index + 5):
        rows.append(f"  #{i} steady:  {steady[i] if i < len(steady) else None}")
        rows.append(f"  #{i} stalled: {stalled[i] if i < len(stalled) else None}")
    return (
        f"steady run: {len(steady)} fills, stalled run: {len(stalled)}; first difference at fill #{index}:\n"
        + "\n".join(rows)
    )


def test_two_runs_of_one_seed_trade_the_same_fills_though_one_was_stalled(tmp_path):
    steady = start(tmp_path / "steady")
    stalled = None
    try:
        stalled = start(tmp_path / "stalled")
        run_for(STALL_AT_S, steady, stalled)
        stall_from_ms = health(stalled)["market_time"]
        os.kill(stalled.process.pid, signal.SIGSTOP)
        try:
            wait_for_state(stalled.process.pid, "T")
            run_for(STALL_S, steady)
            assert process_state(stalled.process.pid) == "T"  # stopped all along
        finally:
            os.kill(stalled.process.pid, signal.SIGCONT)
        stall_to_ms = stall_from_ms + round(STALL_S * 1000)
        run_for(RUN_S - STALL_AT_S - STALL_S, steady, stalled)
    finally:
        codes = stop_together(steady, stalled)
    assert codes == [0, 0], steady.output + stalled.output
    for daemon in (steady, stalled):
        assert "Traceback (most recent call last)" not in daemon.output, daemon.output
    # The stall held the market back: the schedule saw it behind the wall clock once resumed.
    assert "behind the clock" in stalled.output, stalled.output

    header, *steady_fills = fills(steady.workdir)
    stalled_header, *stalled_fills = fills(stalled.workdir)
    assert header == stalled_header and header[1] == "ts"
    assert steady_fills and stalled_fills
    last_ms = min(int(steady_fills[-1][1]), int(stalled_fills[-1][1]))
    steady_fills = [row for row in steady_fills if int(row[1]) <= last_ms]
    stalled_fills = [row for row in stalled_fills if int(row[1]) <= last_ms]

    assert stalled_fills == steady_fills, first_difference(steady_fills, stalled_fills)
    assert len(stalled_fills) >= MIN_FILLS, len(stalled_fills)
    assert last_ms > stall_to_ms  # the comparison covers the stall and what followed it
    # The fills keep the times of their ticks: spread over the whole run, the stall's included, not
    # bunched where the stalled daemon caught up.
    times = sorted({int(row[1]) for row in stalled_fills})
    assert len(times) >= MIN_FILLS // 2, len(times)
    assert max(b - a for a, b in pairwise(times)) < STALL_S * 1000 / 4
    during_stall = [ts for ts in times if stall_from_ms <= ts < stall_to_ms]
    assert len(during_stall) >= 20, (stall_from_ms, during_stall)
