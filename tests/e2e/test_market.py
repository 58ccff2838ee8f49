"""``make run``'s defaults over a real socket: the market quotes, trades and moves from its first seconds.

"Within 5 s of start" is read on the daemon's own clock (the trades' timestamps against its start),
so a slow test machine delays the checks without failing them.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from exchangesim.client import ExchangeClient

from ..asyncio_runner import asyncio_test
from .daemon import Daemon

REPO = Path(__file__).resolve().parents[2]
SYMBOLS = ("BTC/USD", "ETH/USD")
WITHIN_MS = 5000
WAIT = 20.0  # seconds for any one message


@asyncio_test
async def check_the_market(base_url: str) -> None:
    async with ExchangeClient(base_url=base_url) as client:
        uptime_ms = (await client.get_health())["uptime_ms"]
        started_ms = (await client.get_ticker("BTC/USD"))["timestamp"] - uptime_ms
        await client.connect_ws()
        for symbol in SYMBOLS:
            await client.subscribe("TRADES", symbol)
        prices: dict[str, set[str]] = {symbol: set() for symbol in SYMBOLS}
        while any(len(seen) < 2 for seen in prices.values()):  # trades at two prices at least
            message = await client.receive_ws_message(timeout=WAIT)
            if message.get("channel") == "TRADES" and not message.get("snapshot"):
                assert message["ts"] - started_ms < WITHIN_MS, (message, started_ms)
                prices[message["symbol"]].add(message["price"])
        for symbol in SYMBOLS:
            book = await client.get_orderbook(symbol, depth=10)
            # The maker quotes 10 levels a side; a taker may have eaten the best one since its last requote.
            assert min(len(book["bids"]), len(book["asks"])) >= 9, book
        order = await client.place_order("BTC/USD", "BUY", "MARKET", "0.1")
        assert order["status"] == "FILLED"
        assert Decimal(order["filled_quantity"]) == Decimal("0.1")


def test_within_seconds_of_start_books_have_depth_trades_happen_and_an_order_fills(tmp_path):
    daemon = Daemon(tmp_path, "--config", str(REPO / "etc" / "sim.ini"))
    try:
        check_the_market(daemon.base_url)
    finally:
        daemon.stop()
    assert "Traceback (most recent call last)" not in daemon.output, daemon.output
