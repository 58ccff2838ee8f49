"""``make run``'s defaults over a real socket: within seconds the market quotes, trades and moves."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from exchangesim.client import ExchangeClient

from ..asyncio_runner import asyncio_test
from .daemon import Daemon

REPO = Path(__file__).resolve().parents[2]
SYMBOLS = ("BTC/USD", "ETH/USD")
WITHIN = 5.0  # seconds from start


@asyncio_test
async def _check_the_market(base_url: str, started: float) -> None:
    async with ExchangeClient(base_url=base_url) as client:
        await client.connect_ws()
        for symbol in SYMBOLS:
            await client.subscribe("TRADES", symbol)
        prices: dict[str, set[str]] = {symbol: set() for symbol in SYMBOLS}
        while any(len(seen) < 2 for seen in prices.values()):  # trades at two prices at least
            message = await client.receive_ws_message(timeout=WITHIN - (time.monotonic() - started))
            if message.get("channel") == "TRADES":
                prices[message["symbol"]].add(message["price"])
        for symbol in SYMBOLS:
            book = await client.get_orderbook(symbol, depth=10)
            assert len(book["bids"]) == len(book["asks"]) == 10, book
            ticker = await client.get_ticker(symbol)
            assert ticker["last_price"] is not None
        order = await client.place_order("BTC/USD", "BUY", "MARKET", "0.1")
        assert order["status"] == "FILLED"
        assert Decimal(order["filled_quantity"]) == Decimal("0.1")
    assert time.monotonic() - started < WITHIN


def test_within_seconds_of_start_books_have_depth_trades_happen_and_an_order_fills(tmp_path):
    started = time.monotonic()
    daemon = Daemon(tmp_path, "--config", str(REPO / "etc" / "sim.ini"))
    try:
        _check_the_market(daemon.base_url, started)
    finally:
        daemon.stop()
    assert "Traceback (most recent call last)" not in daemon.output, daemon.output
