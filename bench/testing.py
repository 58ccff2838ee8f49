#!/usr/bin/env python3
"""The in-memory venue (``exchangesim.testing``): how fast it starts, and how fast it runs a minute.

Prints one JSON line per figure:

    python bench/testing.py                      # start-up x 20, a minute of the default market x 3
    python bench/testing.py --seconds 10 --step-ms 1

* ``startup``: ``exchangesim.testing.venue()`` with the defaults (two symbols, 1 ms ticks, the
  liquidity agents, whose deep book is placed at start), then without agents; imports already done;
  the first start in the process, then the median and the best of ``--starts`` more (each venue
  stopped before the next), and the median CPU time.
* ``advance``: ``venue.advance(--seconds)`` on a fresh default venue, ``--rounds`` times; wall and CPU
  seconds (the CPU time of this process: on a loaded machine the wall time also holds other
  processes' turns), the ticks run (every symbol's) and the trades made. ``--step-ms`` is the market
  step (50: a daemon's catch-up span, the default; 1: every tick on its own).

The issue's targets: start-up well under 100 ms, a minute of 1 ms ticks on the default symbols in
under 3 s of wall time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from exchangesim.testing import MARKET_STEP_MS, venue

QUIET = "[liquidity]\nenabled = false\n"


def startup(starts: int, config: str | None, label: str) -> dict:
    walls, cpus = [], []
    for _ in range(starts + 1):
        began, cpu = time.perf_counter(), time.process_time()
        memory = venue(config)
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
        memory.stop()
    return {
        "part": "startup",
        "config": label,
        "first_ms": round(walls[0] * 1000, 1),
        "median_ms": round(statistics.median(walls[1:]) * 1000, 1),
        "best_ms": round(min(walls[1:]) * 1000, 1),
        "median_cpu_ms": round(statistics.median(cpus[1:]) * 1000, 1),
        "starts": starts,
        "target_met": statistics.median(walls[1:]) < 0.1,
    }


def advance(seconds: float, step_ms: int) -> dict:
    memory = venue(market_step_ms=step_ms)
    markets = memory.service.market.markets.values()
    trades = []
    memory.service.venue.exchange.subscribe(lambda result: trades.extend(result.trades))
    began, cpu = time.perf_counter(), time.process_time()
    memory.advance(seconds)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    ticks = sum(market.timer.runs for market in markets)
    memory.stop()
    return {
        "part": "advance",
        "seconds": seconds,
        "step_ms": step_ms,
        "symbols": len(markets),
        "ticks": ticks,
        "trades": len(trades),
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "target_met": wall < 3.0 * seconds / 60,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--step-ms", type=int, default=MARKET_STEP_MS)
    options = parser.parse_args()
    print(json.dumps(startup(options.starts, None, "defaults")), flush=True)
    print(json.dumps(startup(options.starts, QUIET, "no agents")), flush=True)
    for _ in range(options.rounds):
        print(json.dumps(advance(options.seconds, options.step_ms)), flush=True)


if __name__ == "__main__":
    main()
