"""Conformance with the peers' naive baseline on a prefix of the seeded benchmark stream.

The peers' folder (``../shared/bench/peers`` from the repository root) holds the generator and the
baseline; the stream is generated in-test (20,000 operations, the benchmark's seed). A correct
price-time FIFO engine reproduces the baseline's maker fills, volume and final best bid/ask exactly.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from exchangesim.engine import Exchange, Instrument, OrderBook, parse_amount

PEERS = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "peers"
N_OPS = 20_000
SEED = 20240601
LIMIT, CANCEL = 0, 1

# A clone on its own has no peers folder beside it; CI always has, so there a missing one fails.
pytestmark = pytest.mark.skipif(
    not (PEERS / "gen_stream.py").exists() and not os.environ.get("CI"), reason="peers folder not present"
)


def _peer_module(name: str):
    sys.path.insert(0, str(PEERS))
    try:
        spec = importlib.util.spec_from_file_location(f"peers_{name}", PEERS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module
    finally:
        sys.path.remove(str(PEERS))


@pytest.fixture(scope="module")
def stream():
    arr, meta = _peer_module("gen_stream").generate(N_OPS, SEED)
    return [arr[k].tolist() for k in ("op", "side", "price", "qty", "oid")], meta["expected"]


def _expected(stream):
    ops, sides, prices, qtys, oids = stream[0]
    book = _peer_module("baseline_engine").BaselineBook()
    for op, side, price, qty, oid in zip(ops, sides, prices, qtys, oids, strict=True):
        if op == LIMIT:
            book.limit(oid, side, price, qty)
        elif op == CANCEL:
            book.cancel(oid)
        else:
            book.market(side, qty)
    return book.trades, book.volume, book.best_bid(), book.best_ask()


def test_baseline_reproduces_the_generators_own_expectation(stream):
    expected = stream[1]
    assert _expected(stream) == (
        expected["trades"],
        expected["volume"],
        expected["best_bid"],
        expected["best_ask"],
    )


def test_bare_book_matches_the_baseline(stream):
    ops, sides, prices, qtys, oids = stream[0]
    fills: list[int] = [0, 0]

    def count(price: int, makers: dict[int, int], filled: int, left: int) -> None:
        fills[0] += len(makers)
        fills[1] += filled
        assert sum(makers.values()) == filled

    book = OrderBook(count)
    for op, side, price, qty, oid in zip(ops, sides, prices, qtys, oids, strict=True):
        if op == LIMIT:
            book.add_limit(oid, side, price, qty)
        elif op == CANCEL:
            assert book.cancel(oid) > 0  # the stream only cancels resting orders
        else:
            book.market(side, qty)
    assert (fills[0], fills[1], book.best_bid(), book.best_ask()) == _expected(stream)


def test_exchange_matches_the_baseline_and_conserves_assets(stream):
    ops, sides, prices, qtys, oids = stream[0]
    x = Exchange()
    x.add_instrument(Instrument("SIM/USD", "SIM", "USD", tick_size="0.01", lot_size="0.001"))
    funded = parse_amount("100000000000")
    for name in ("even", "odd"):
        x.open_account(name)
        x.deposit(name, "SIM", funded, ts=0)
        x.deposit(name, "USD", funded, ts=0)
    ids: dict[int, int] = {}
    names = ("BUY", "SELL")
    for ts, (op, side, price, qty, oid) in enumerate(zip(ops, sides, prices, qtys, oids, strict=True), 1):
        account = ("even", "odd")[oid & 1]
        if op == LIMIT:
            ids[oid] = x.place(account, "SIM/USD", names[side], "LIMIT", qty, price, ts=ts).order_id
        elif op == CANCEL:
            x.cancel(account, ids.pop(oid), ts=ts)
        else:
            x.place(account, "SIM/USD", names[side], "MARKET", qty, ts=ts)
    stats = x.stats("SIM/USD")
    assert (stats.trades, stats.volume, *x.best_bid_ask("SIM/USD")) == _expected(stream)
    for asset in ("SIM", "USD"):
        total = sum(x.balances(a)[asset].total for a in x.account_names())
        assert total == 2 * funded
