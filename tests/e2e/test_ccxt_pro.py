"""Stock ccxt.pro 4.5.90 watches a live daemon's Binance market streams, configured as the README says.

A busy market (fast ticks, the market maker re-quoting every 20 ms) so hundreds of depth updates
arrive in a few seconds; one daemon without faults, one whose ws faults hit the depth streams.
"""

from __future__ import annotations

import asyncio
import copy
import re
import subprocess
import sys
from pathlib import Path

import ccxt
import ccxt.pro
import pytest

from exchangesim.client import ccxt_config

from .daemon import Daemon

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
KEY, SECRET = "alice-key-0001", "alice-secret"
BUSY = [
    "[account:alice]",
    f"api_key = {KEY}",
    f"api_secret = {SECRET}",
    "[exchange]",
    "tick_interval_ms = 5",
    "[liquidity]",
    "enabled = true",
    "refresh_ms = 20",
    "taker_rate = 20.0",
]
FAULTS = [
    "[failures]",
    "enabled = true",
    "[failure:shuffle]",
    "mode = reorder",
    "layer = ws",
    "channel = btcusd@depth*",
    "probability = 0.05",
    "gap = 1",
    "[failure:loss]",
    "mode = drop",
    "layer = ws",
    "channel = ethusd@depth*",
    "probability = 0.05",
]
TIMEOUT = 60.0


def start_daemon(workdir, lines: list[str]) -> Daemon:
    config = workdir / "ccxt-pro.ini"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Daemon(workdir, "--config", str(config))


def binance_pro(daemon: Daemon, depth_rate: str = "0") -> ccxt.pro.binance:
    """ccxt.pro.binance configured by ``ccxt_config`` for the daemon, as the README says.

    ``watchOrderBookRate = "0"`` subscribes ``@depth@0ms``, a diff per book change, rather than
    Binance's ``@depth@100ms`` (ten a second), so hundreds of updates arrive in seconds.
    """
    config = ccxt_config(daemon.base_url, KEY, SECRET, watchOrderBookRate=depth_rate)
    return ccxt.pro.binance({**config, "enableRateLimit": False})


def run(daemon: Daemon, watch, depth_rate: str = "0"):
    """Run ``watch(exchange)`` with a fresh ccxt.pro client, closed afterwards."""

    async def main():
        exchange = binance_pro(daemon, depth_rate)
        try:
            await exchange.load_markets()
            return await asyncio.wait_for(watch(exchange), TIMEOUT)
        finally:
            await exchange.close()

    return asyncio.run(main())


def _stopped_cleanly(daemon: Daemon) -> None:
    daemon.stop()
    assert "Traceback (most recent call last)" not in daemon.output, daemon.output


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    daemon = start_daemon(tmp_path_factory.mktemp("ccxt-pro"), BUSY)
    yield daemon
    _stopped_cleanly(daemon)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    daemon = start_daemon(tmp_path_factory.mktemp("ccxt-pro-faults"), BUSY + FAULTS)
    yield daemon
    _stopped_cleanly(daemon)


async def book_updates(exchange, symbol: str, wanted: int) -> tuple[int, dict]:
    """Watch ``symbol``'s book until its nonce has moved ``wanted`` times; (moves, last book)."""
    nonce, moves = None, 0
    while moves < wanted:
        book = await exchange.watch_order_book(symbol)
        if book["nonce"] != nonce:
            nonce, moves = book["nonce"], moves + 1
    return moves, book


def test_watch_order_book_stays_in_sync_for_200_updates(busy):
    moves, book = run(busy, lambda exchange: book_updates(exchange, "BTC/USD", 200))
    assert moves >= 200
    assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]


def test_the_100ms_stream_gathers_changes_and_stays_in_sync(busy):
    moves, book = run(busy, lambda exchange: book_updates(exchange, "BTC/USD", 15), depth_rate="100")
    assert moves >= 15 and book["bids"][0][0] < book["asks"][0][0]


@pytest.mark.parametrize("symbol", ["BTC/USD", "ETH/USD"], ids=["reorder", "drop"])
def test_a_fault_on_the_depth_stream_raises_checksum_error(faulty, symbol):
    with pytest.raises(ccxt.ChecksumError):
        run(faulty, lambda exchange: book_updates(exchange, symbol, 5000))


def test_watch_trades_delivers(busy):
    trades = run(busy, lambda exchange: exchange.watch_trades("BTC/USD"))
    assert trades and trades[-1]["symbol"] == "BTC/USD" and trades[-1]["price"] > 0
    assert trades[-1]["side"] in ("buy", "sell") and trades[-1]["amount"] > 0


@pytest.mark.parametrize("params", [{}, {"name": "ticker"}], ids=["miniTicker", "ticker"])
def test_watch_ticker_delivers(busy, params):
    ticker = run(busy, lambda exchange: exchange.watch_ticker("BTC/USD", params))
    assert ticker["symbol"] == "BTC/USD" and ticker["last"] > 0
    if params:
        assert ticker["bid"] > 0 and ticker["ask"] > ticker["bid"]


@pytest.mark.parametrize("window", ["1h", "4h", "1d"])
def test_watch_ticker_of_a_rolling_window_delivers(busy, window):
    """``<symbol>@ticker_<window>``: ccxt.pro reads its ``1hTicker`` (...) events as tickers."""
    ticker = run(busy, lambda exchange: exchange.watch_ticker("BTC/USD", {"name": f"ticker_{window}"}))
    assert ticker["symbol"] == "BTC/USD" and ticker["last"] > 0 and ticker["open"] > 0
    assert ticker["low"] <= ticker["last"] <= ticker["high"] and ticker["baseVolume"] > 0


def test_the_readme_ccxt_pro_snippet_prints_ten_books(busy):
    match = re.search(r"<!-- snippet: ccxt-pro -->\n```python\n(.*?)```", README, re.DOTALL)
    assert match, "README has no snippet ccxt-pro"
    code = match.group(1).replace("http://127.0.0.1:8765", busy.base_url)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 10


def test_watch_ohlcv_delivers(busy):
    candles = run(busy, lambda exchange: exchange.watch_ohlcv("BTC/USD", "1m"))
    timestamp, open_, high, low, close, volume = candles[-1]
    assert timestamp % 60_000 == 0 and low <= min(open_, close) <= max(open_, close) <= high
    assert volume >= 0


async def place_and_watch(exchange, watch):
    """Start ``watch``, then place a limit buy far below the market, so the watch sees it."""
    watching = asyncio.ensure_future(watch())
    await asyncio.sleep(0.5)  # the subscription is answered before the order goes in
    order = await exchange.create_order("BTC/USD", "limit", "buy", 0.01, 1000)
    try:
        return order, copy.deepcopy(await watching)  # ccxt updates its cache in place
    finally:
        await exchange.cancel_order(order["id"], "BTC/USD")


def test_watch_orders_delivers_the_accounts_order(busy):
    order, orders = run(busy, lambda ex: place_and_watch(ex, lambda: ex.watch_orders("BTC/USD")))
    assert orders[-1]["id"] == order["id"] and orders[-1]["status"] == "open"
    assert orders[-1]["price"] == 1000 and orders[-1]["amount"] == 0.01


def test_watch_balance_delivers_the_locked_quote(busy):
    _, balance = run(busy, lambda ex: place_and_watch(ex, ex.watch_balance))
    assert balance["USD"]["used"] >= 10
