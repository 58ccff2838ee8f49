#!/usr/bin/env python3
"""What the journal costs: the peers' order stream through the full engine, without and with a journal.

Prints one JSON line per variant, each with its ratio to the plain ``Exchange`` of the same run:

    python bench/journal.py                     # first 200,000 ops; 'always' on the first 2,000
    python bench/journal.py -n 1000000 --dir /var/tmp

* ``exchange``: the plain ``Exchange`` (baseline), as ``bench/engine.py``'s ``engine`` runs it.
* ``fsync off`` / ``fsync batch`` / ``fsync always``: every command written to a journal segment file in
  ``--dir`` with that policy (``batch``: 5 ms, on a clock advanced to real time every 64 commands).
  ``always`` syncs each command, so it runs on a shorter prefix (``--always-n``); its ops/s is what counts.
* ``recovery replay``: reading the ``fsync off`` journal back and replaying it into a fresh engine, as a
  restarting daemon does (records/s, so the ratio says how recovery time compares with the run's own).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from engine import drive_exchange, load_stream, make_exchange  # noqa: E402
from twisted.internet.task import Clock  # noqa: E402

from exchangesim.engine import Exchange  # noqa: E402
from exchangesim.persistence.commands import JournaledExecutor, JournalWriter  # noqa: E402
from exchangesim.persistence.formats import FORMAT  # noqa: E402
from exchangesim.persistence.journal import Journal, read_journal  # noqa: E402
from exchangesim.persistence.recovery import replay_record  # noqa: E402

TICK_EVERY = 64  # commands between two advances of the batch policy's clock


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peers", default=os.path.join(HERE, "..", "..", "shared", "bench", "peers"))
    ap.add_argument("--stream", default=os.path.join(HERE, "data", "stream_1m.npy"))
    ap.add_argument("-n", type=int, default=200_000, help="operations of the stream to run (0 = all)")
    ap.add_argument("--always-n", type=int, default=2_000, help="operations for fsync always")
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="folder for the journal files")
    return ap.parse_args()


def run(stream, exchange: Exchange, clock: Clock | None, limit: int) -> float:
    """Seconds to run the first ``limit`` operations of the stream through ``exchange``.

    With ``clock``, the run goes in slices of ``TICK_EVERY`` operations, the clock advanced to real
    time after each (the batch policy's syncs happen there, so they are timed too).
    """
    if clock is None:
        return drive_exchange(stream, exchange, 0, limit, {})
    ids: dict[int, int] = {}
    t0 = time.perf_counter()
    for start in range(0, limit, TICK_EVERY):
        drive_exchange(stream, exchange, start, min(start + TICK_EVERY, limit), ids)
        clock.advance(time.perf_counter() - clock.seconds())
    return time.perf_counter() - t0


def journaled(folder: Path, name: str, policy: str) -> tuple[Exchange, Journal, Clock]:
    """A fresh engine whose every command is written to ``folder / name`` with fsync ``policy``."""
    exchange = make_exchange()
    clock = Clock()
    clock.advance(time.perf_counter())
    journal = Journal(policy, 5, clock)
    journal.start(folder / name, {"format": FORMAT, "segment": 1})
    exchange.set_executor(JournaledExecutor(exchange, JournalWriter(journal)))
    return exchange, journal, clock


def recovery(path: Path, baseline: float) -> dict:
    """Read a journal and replay it into a fresh engine (from the state it started from)."""
    t0 = time.perf_counter()
    records = read_journal(path).records
    exchange = make_exchange()
    for record in records:
        replay_record(exchange, record)
    rate = len(records) / (time.perf_counter() - t0)
    return {
        "variant": "recovery replay",
        "ops": len(records),
        "ops_per_s": round(rate),
        "ratio": round(rate / baseline, 3),
    }


def main() -> None:
    args = parse_args()
    stream = load_stream(argparse.Namespace(stream=args.stream, peers=args.peers, n=args.n))
    n = stream[0]
    folder = Path(tempfile.mkdtemp(prefix="exchangesim-journal-", dir=args.dir))
    try:
        baseline = n / run(stream, make_exchange(), None, n)
        print(json.dumps({"variant": "exchange", "ops": n, "ops_per_s": round(baseline), "ratio": 1.0}))
        variants = [("fsync off", "off", n), ("fsync batch", "batch", n)]
        variants.append(("fsync always", "always", min(n, args.always_n)))
        for label, policy, limit in variants:
            name = label.replace(" ", "-")  # the journal file's
            exchange, journal, clock = journaled(folder, name, policy)
            rate = limit / run(stream, exchange, clock if policy == "batch" else None, limit)
            journal.finish()
            line = {
                "variant": label,
                "ops": limit,
                "ops_per_s": round(rate),
                "ratio": round(rate / baseline, 3),
                "journal_bytes": (folder / name).stat().st_size,
            }
            print(json.dumps(line), flush=True)
        print(json.dumps(recovery(folder / "fsync-off", baseline)), flush=True)
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
