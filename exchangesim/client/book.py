"""``LocalBook``: an order book kept from a BOOK stream (a snapshot, then one delta per level change)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

__all__ = ["LocalBook"]


class LocalBook:
    """The levels of one symbol at ``sequence``; ``apply`` says when a delta cannot follow (a gap), and
    ``load`` resynchronizes from a snapshot (the stream's, or ``GET /api/v1/orderbook``'s)."""

    def __init__(self) -> None:
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.sequence: int | None = None

    def load(self, bids: Iterable[Any], asks: Iterable[Any], sequence: int) -> None:
        self.bids = {Decimal(price): Decimal(quantity) for price, quantity in bids}
        self.asks = {Decimal(price): Decimal(quantity) for price, quantity in asks}
        self.sequence = sequence

    def apply(self, message: dict[str, Any]) -> bool:
        """Apply a BOOK message; False when the book cannot take it (no snapshot yet, or a gap)."""
        seq = message["seq"]
        if message.get("snapshot"):
            self.load(message["bids"], message["asks"], seq)
            return True
        if self.sequence is None or seq > self.sequence + 1:
            return False
        if seq <= self.sequence:
            return True  # already in the snapshot the book was loaded from
        levels = self.bids if message["side"] == "BUY" else self.asks
        price, quantity = Decimal(message["price"]), Decimal(message["quantity"])
        if quantity:
            levels[price] = quantity
        else:
            levels.pop(price, None)
        self.sequence = seq
        return True

    def best_bid(self) -> Decimal | None:
        return max(self.bids, default=None)

    def best_ask(self) -> Decimal | None:
        return min(self.asks, default=None)

    def crossed(self) -> bool:
        bid, ask = self.best_bid(), self.best_ask()
        return bid is not None and ask is not None and bid >= ask

    def top(self, depth: int) -> dict[str, list[tuple[Decimal, Decimal]]]:
        """The best ``depth`` levels a side, best first, as ``(price, quantity)``."""
        return {
            "bids": sorted(self.bids.items(), reverse=True)[:depth],
            "asks": sorted(self.asks.items())[:depth],
        }
