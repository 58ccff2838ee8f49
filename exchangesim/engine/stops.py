"""Untriggered stop orders of one symbol, indexed by the last-trade price that triggers them.

Binance semantics: STOP_LOSS(_LIMIT) triggers a sell when last <= stop and a buy when last >= stop;
TAKE_PROFIT(_LIMIT) the opposite. Two heaps (one per direction) with lazy deletion: a canceled stop
stays in its heap until it surfaces or the heaps are rebuilt, so cancels are O(1).
"""

from __future__ import annotations

import heapq

from .orders import ID, SIDE, STOP, TYPE, OrderType

_LOSS_TYPES = frozenset((OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT))


def triggers_rising(order_type: str, side: int) -> bool:
    """Whether a stop of this type and side triggers when the price rises to it (else when it falls)."""
    return (order_type in _LOSS_TYPES) == (side == 0)


def is_triggered(order_type: str, side: int, stop: int, last: int) -> bool:
    """Whether the last trade price ``last`` reaches a stop price."""
    return last >= stop if triggers_rising(order_type, side) else last <= stop


class StopBook:
    """Pending stops; ``pop_triggered`` hands back those a last price reaches, in order-id order."""

    __slots__ = ("_falling", "_rising", "pending")

    def __init__(self) -> None:
        self.pending: dict[int, list] = {}  # order id -> record (read-only outside this class)
        self._rising: list[tuple[int, int]] = []  # (stop, order id): triggers when last >= stop
        self._falling: list[tuple[int, int]] = []  # (-stop, order id): triggers when last <= stop

    def add(self, order: list) -> None:
        """Start watching an untriggered stop order."""
        self.pending[order[ID]] = order
        if triggers_rising(order[TYPE], order[SIDE]):
            heapq.heappush(self._rising, (order[STOP], order[ID]))
        else:
            heapq.heappush(self._falling, (-order[STOP], order[ID]))
        if len(self._rising) + len(self._falling) > 2 * len(self.pending) + 64:
            self._rebuild()

    def remove(self, oid: int) -> bool:
        """Stop watching an order (canceled); False if it was not pending."""
        return self.pending.pop(oid, None) is not None

    def pop_triggered(self, last: int) -> list[list]:
        """Remove and return the pending stops that ``last`` triggers, oldest order first."""
        pending, found = self.pending, []
        rising, falling = self._rising, self._falling
        while rising and rising[0][0] <= last:
            order = pending.pop(heapq.heappop(rising)[1], None)
            if order is not None:
                found.append(order)
        while falling and -falling[0][0] >= last:
            order = pending.pop(heapq.heappop(falling)[1], None)
            if order is not None:
                found.append(order)
        found.sort(key=lambda order: order[ID])
        return found

    def _rebuild(self) -> None:
        """Drop heap entries of removed orders."""
        self._rising = [(o[STOP], o[ID]) for o in self.pending.values() if triggers_rising(o[TYPE], o[SIDE])]
        self._falling = [
            (-o[STOP], o[ID]) for o in self.pending.values() if not triggers_rising(o[TYPE], o[SIDE])
        ]
        heapq.heapify(self._rising)
        heapq.heapify(self._falling)

    def __len__(self) -> int:
        return len(self.pending)

    def __contains__(self, oid: object) -> bool:
        return oid in self.pending
