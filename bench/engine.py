#!/usr/bin/env python3
"""Replay the peers' seeded order stream through our bare book, our full engine and the naive baseline.

Prints one JSON line per engine (median of the repeats, ratio against the baseline of the same run):

    python bench/engine.py                      # full 1M-op stream, 3 repeats
    python bench/engine.py -n 200000 -r 5       # a prefix, 5 repeats

* ``book``: ``exchangesim.engine.OrderBook`` (the class the Exchange uses) through its public
  methods, one call per operation, with a fill sink that counts maker fills and volume.
* ``engine``: the ``Exchange`` facade with two accounts (the stream's order id parity picks the
  account), balance holds, maker/taker fees, positions and per-command event records.
* ``engine+events``: the same with a subscriber reading every field of every event record by
  unpacking, as the daemon's feeds, statistics and journal read them (its trade count and volume,
  summed from the records, are what it reports).
* ``baseline``: ``baseline_engine.BaselineBook`` called exactly as the peers' own adapter calls it.

Instructions per operation, as ``bench/README.md`` reports them: ``valgrind --tool=callgrind python
bench/engine.py --alone TARGET -n 30000`` less the same with ``--ops 1`` added (the same 30,000
operations loaded, one run), divided by 29,999, with ``PYTHONHASHSEED=0`` so that start-up is the same.

Nothing is converted inside the timed loops (the stream is turned into Python lists first). GC stays
enabled and untuned, as in the peers' adapters and in the daemon.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from exchangesim.engine import Exchange, Instrument, OrderBook, parse_amount  # noqa: E402
from exchangesim.engine.events import (  # noqa: E402
    BALANCE,
    BALANCES,
    LEVEL,
    ORDER_KINDS,
    TRADE,
    TRANSFER,
    account_of,
    maker_filled,
)
from exchangesim.engine.orders import SIDE_NAMES  # noqa: E402

LIMIT, CANCEL = 0, 1
SIDES = ("BUY", "SELL")
SYMBOL = "SIM/USD"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--peers", default=os.path.join(ROOT, "..", "shared", "bench", "peers"), help="peers folder"
    )
    ap.add_argument(
        "--stream", default=os.path.join(HERE, "data", "stream_1m.npy"), help="stream .npy (made if missing)"
    )
    ap.add_argument("-n", type=int, default=0, help="replay only the first N operations (0 = all)")
    ap.add_argument("-r", "--repeat", type=int, default=3, help="runs per engine; the median is reported")
    ap.add_argument("--only", nargs="*", default=None, help="subset of: book engine engine+events")
    ap.add_argument(
        "--alone",
        choices=("baseline", "book", "engine", "engine+events"),
        help="run only this target, once, and print its result without timing (for callgrind)",
    )
    ap.add_argument(
        "--ops", type=int, default=0, help="with --alone: run only the first OPS operations loaded (0 = all)"
    )
    return ap.parse_args()


def load_stream(args: argparse.Namespace) -> tuple[int, list, list, list, list, list]:
    """The stream as Python lists (generated with the peers' gen_stream.py when missing)."""
    if not os.path.exists(args.stream):
        subprocess.run(
            [sys.executable, os.path.join(args.peers, "gen_stream.py"), "--out", args.stream],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    import numpy as np

    arr = np.load(args.stream)
    if args.n:
        arr = arr[: args.n]
    return (
        len(arr),
        arr["op"].tolist(),
        arr["side"].tolist(),
        arr["price"].tolist(),
        arr["qty"].tolist(),
        arr["oid"].tolist(),
    )


def replay(stream, limit, cancel, market) -> float:
    """Seconds to feed the stream to three book methods, one call per operation (both books alike)."""
    n, ops, sides, prices, qtys, oids = stream
    t0 = time.perf_counter()
    for i in range(n):
        op = ops[i]
        if op == LIMIT:
            limit(oids[i], sides[i], prices[i], qtys[i])
        elif op == CANCEL:
            cancel(oids[i])
        else:
            market(sides[i], qtys[i])
    return time.perf_counter() - t0


def run_baseline(stream, baseline_cls) -> tuple[float, tuple]:
    book = baseline_cls()
    elapsed = replay(stream, book.limit, book.cancel, book.market)
    return elapsed, (book.trades, book.volume, book.best_bid(), book.best_ask())


def run_book(stream) -> tuple[float, tuple]:
    trades = volume = 0

    def count(price: int, makers: dict, filled: int, left: int) -> None:
        nonlocal trades, volume
        trades += len(makers)
        volume += filled

    book = OrderBook(count)
    elapsed = replay(stream, book.add_limit, book.cancel, book.market)
    return elapsed, (trades, volume, book.best_bid(), book.best_ask())


def make_exchange() -> Exchange:
    """Two funded accounts trading one instrument with 0.1% maker/taker fees."""
    exchange = Exchange()
    exchange.add_instrument(
        Instrument(
            SYMBOL, "SIM", "USD", tick_size="0.01", lot_size="0.001", maker_fee="0.001", taker_fee="0.001"
        )
    )
    for name in ("even", "odd"):
        exchange.open_account(name)
        exchange.deposit(name, "SIM", parse_amount("1000000000000"), ts=0)
        exchange.deposit(name, "USD", parse_amount("1000000000000"), ts=0)
    return exchange


def drive_exchange(stream, exchange: Exchange, start: int, stop: int, ids: dict[int, int]) -> float:
    """Seconds to run operations ``start`` to ``stop`` of the stream through ``exchange``.

    ``ids`` maps stream order ids to engine order ids, for cancels; pass the same dict to go on from
    an earlier call.
    """
    _, ops, sides, prices, qtys, oids = stream
    place, cancel = exchange.place, exchange.cancel
    accounts = ("even", "odd")
    t0 = time.perf_counter()
    for i in range(start, stop):
        op = ops[i]
        oid = oids[i]
        if op == LIMIT:
            ids[oid] = place(
                accounts[oid & 1], SYMBOL, SIDES[sides[i]], "LIMIT", qtys[i], prices[i], ts=i
            ).order_id
        elif op == CANCEL:
            cancel(accounts[oid & 1], ids.pop(oid), ts=i)
        else:
            place(accounts[oid & 1], SYMBOL, SIDES[sides[i]], "MARKET", qtys[i], ts=i)
    return time.perf_counter() - t0


class EventReader:
    """Engine subscriber that reads every field of every event record, allocating nothing per field."""

    def __init__(self) -> None:
        self.trades = self.volume = 0

    def __call__(self, result) -> None:
        for record in result.records:
            kind = record[0]
            if kind == TRADE:
                _, _, instrument, _, lots, _, side, maker, taker, _, _, _, _, _ = record
                self.trades += 1
                self.volume += lots
                _ = instrument.symbol, SIDE_NAMES[side], account_of(maker), account_of(taker)
                filled = maker_filled(record)
                if filled is not None:
                    self._read_order(filled)
            elif kind == LEVEL:
                _, _, side, _, _, _ = record
                _ = SIDE_NAMES[side]
            elif kind == BALANCES:
                _, seat, _, _, _, _ = record
                _ = seat.account.name, seat.instrument.base, seat.instrument.quote
            elif kind == BALANCE or kind == TRANSFER:
                _ = record[1:]
            elif kind in ORDER_KINDS:
                self._read_order(record[1])

    @staticmethod
    def _read_order(order: list) -> None:
        """Every field of an order record (its 20, in the layout of ``engine/orders.py``)."""
        _, seat, side, _, _, _, _, _, _, _, _, _, _, _, _, _, _, _, _, _ = order
        _ = seat.account.name, seat.instrument.symbol, SIDE_NAMES[side]


def run_engine(stream, read_events: bool) -> tuple[float, tuple]:
    n = stream[0]
    exchange = make_exchange()
    reader = EventReader()
    if read_events:
        exchange.subscribe(reader)
    elapsed = drive_exchange(stream, exchange, 0, n, {})
    stats = exchange.stats(SYMBOL)
    trades, volume = (reader.trades, reader.volume) if read_events else (stats.trades, stats.volume)
    bid, ask = exchange.best_bid_ask(SYMBOL)
    return elapsed, (trades, volume, bid, ask)


def main() -> None:
    args = parse_args()
    sys.path.insert(0, os.path.abspath(args.peers))
    from baseline_engine import BaselineBook

    stream = load_stream(args)
    runners = {
        "book": run_book,
        "engine": lambda s: run_engine(s, read_events=False),
        "engine+events": lambda s: run_engine(s, read_events=True),
    }
    if args.alone:
        runners["baseline"] = lambda s: run_baseline(s, BaselineBook)
        stream = (args.ops or stream[0], *stream[1:])  # the same load, whatever runs
        trades, volume, best_bid, best_ask = runners[args.alone](stream)[1]
        fields = {"trades": trades, "volume": volume, "best_bid": best_bid, "best_ask": best_ask}
        print(json.dumps({"engine": args.alone, "ops": stream[0], **fields}))
        return
    chosen = args.only or list(runners)
    times: dict[str, list[float]] = {"baseline": [], **{name: [] for name in chosen}}
    results: dict[str, tuple] = {}
    for _ in range(args.repeat):  # interleaved, so drift on a noisy machine hits every engine alike
        elapsed, results["baseline"] = run_baseline(stream, BaselineBook)
        times["baseline"].append(elapsed)
        for name in chosen:
            elapsed, results[name] = runners[name](stream)
            times[name].append(elapsed)
    n = stream[0]
    base = statistics.median(times["baseline"])
    for name, runs in times.items():
        trades, volume, best_bid, best_ask = results[name]
        median = statistics.median(runs)
        print(
            json.dumps(
                {
                    "engine": name,
                    "ops": n,
                    "ops_per_s": round(n / median),
                    "trades": trades,
                    "volume": volume,
                    "best_bid": best_bid,
                    "best_ask": best_ask,
                    "ratio_vs_baseline": round(base / median, 3),
                    "match": results[name] == results["baseline"],
                    "runs_ops_per_s": [round(n / t) for t in runs],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
