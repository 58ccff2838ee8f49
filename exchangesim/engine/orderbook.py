"""Price-time FIFO order book of one symbol over integer ticks and lots: the matching hot path.

Layout, chosen for speed through plain method calls (see bench/README.md):

* ``_levels``: price -> ``[aggregated_lots, {order_id: remaining_lots}]``. The dict keeps insertion
  order, so it is the level's FIFO queue with O(1) append, O(1) cancel anywhere and no per-order
  object; the aggregate beside it is the L2 view, so depth queries and orders that consume whole
  levels never walk orders. Bids and asks share the mapping because a book at rest is never crossed,
  so a price belongs to one side at a time.
* ``_bids`` (ascending) and ``_asks`` (negated prices, ascending): sorted price indexes with the best
  price at the end, touched only when a level appears or empties; best bid/ask are cached ints.
* ``_where``: order_id -> price, for cancels. Filled orders are not removed from it one by one (that
  would cost a dict deletion per fill); lookups check the level, and the map is rebuilt from the
  levels once stale entries dominate, which is amortised O(1) per fill.

Fills are reported to the ``on_match`` sink once per level touched, as
``on_match(price, {maker_id: filled_lots}, filled_lots, lots_left_at_level)``; a wholly consumed level
hands over its own dict, so nothing is allocated per fill. Callers materialise richer records later.

``sequence`` rises by exactly 1 each time one price level's aggregated quantity changes (the level
appears, grows, shrinks or disappears) within one book operation. An operation that touches k levels
raises it by k, in the order it touches them: matched levels best price first, then the level the
remainder rests on. The Exchange numbers its BookLevelChanged events with this counter.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterator

BUY = 0
SELL = 1
NO_BID = -1
NO_ASK = 1 << 63
#: A taker price that crosses every ask (valid prices stay below instruments.MAX_TICKS).
ANY_PRICE = NO_ASK - 1
#: Levels larger than this count their deleted entries and are rebuilt once holes outnumber orders:
#: a dict iterates over deleted slots until it is resized, which would make draining a huge level
#: one order at a time quadratic.
BIG_LEVEL = 64
#: Stale entries tolerated in the order -> price map before it is rebuilt (see _where above).
PRUNE_SLACK = 1 << 16

MatchSink = Callable[[int, dict[int, int], int, int], object]


class OrderBook:
    """One symbol's resting orders; every method is one book operation (see the module docstring)."""

    __slots__ = (
        "_asks",
        "_best_ask",
        "_best_bid",
        "_bids",
        "_holes",
        "_levels",
        "_on_match",
        "_prune_at",
        "_where",
        "sequence",
    )

    def __init__(self, on_match: MatchSink) -> None:
        self._levels: dict[int, list] = {}
        self._where: dict[int, int] = {}
        self._prune_at = PRUNE_SLACK
        self._holes: dict[int, int] = {}
        self._bids: list[int] = []
        self._asks: list[int] = []
        self._best_bid = NO_BID
        self._best_ask = NO_ASK
        self.sequence = 0
        self._on_match = on_match

    # -- commands ------------------------------------------------------------------------------
    def add_limit(self, oid: int, side: int, price: int, qty: int) -> int:
        """Match a GTC limit order, rest what is left; return the rested lots (0: fully filled)."""
        # The two sides are written out separately: one branch per side beats a generic version
        # parameterised by comparison functions on this hot path.
        levels = self._levels
        if side == BUY:
            if price >= self._best_ask:
                qty = self._take_asks(price, qty, None)
                if not qty:
                    return 0
            level = levels.get(price)
            if level is None:
                levels[price] = [qty, {oid: qty}]
                if price > self._best_bid:
                    self._bids.append(price)
                    self._best_bid = price
                else:
                    insort(self._bids, price)
            else:
                level[1][oid] = qty
                level[0] += qty
        else:
            if price <= self._best_bid:
                qty = self._take_bids(price, qty)
                if not qty:
                    return 0
            level = levels.get(price)
            if level is None:
                levels[price] = [qty, {oid: qty}]
                if price < self._best_ask:
                    self._asks.append(-price)
                    self._best_ask = price
                else:
                    insort(self._asks, -price)
            else:
                level[1][oid] = qty
                level[0] += qty
        self._where[oid] = price
        self.sequence += 1
        return qty

    def take(self, side: int, price: int, qty: int) -> int:
        """Match an immediate-or-cancel limit order; return the unfilled lots (never rests)."""
        if side == BUY:
            return self._take_asks(price, qty, None)
        return self._take_bids(price, qty)

    def market(self, side: int, qty: int, budget: int | None = None) -> int:
        """Match a market order; return the unfilled lots.

        ``budget`` (buys only) caps the spend in tick x lot steps: matching stops before a lot
        that would exceed it. A buy by quote amount passes its budget and a huge ``qty``.
        """
        if side == BUY:
            return self._take_asks(ANY_PRICE, qty, budget)
        return self._take_bids(0, qty)

    def cancel(self, oid: int) -> int:
        """Remove a resting order; return its remaining lots, 0 if it is not resting."""
        price = self._where.pop(oid, None)
        if price is None:
            return 0
        level = self._levels.get(price)
        if level is None:
            return 0
        orders = level[1]
        qty = orders.pop(oid, 0)
        if not qty:
            return 0
        self.sequence += 1
        if orders:
            level[0] -= qty
            if len(orders) > BIG_LEVEL:
                self._count_holes(price, level, 1)
        else:
            self._drop_level(price)
        return qty

    def reduce(self, oid: int, qty: int) -> None:
        """Lower a resting order's remaining lots to ``qty`` (0 < qty < remaining), keeping its place."""
        old = self.remaining(oid)
        if not 0 < qty < old:
            raise ValueError(f"reduce needs 0 < {qty} < {old}")
        level = self._levels[self._where[oid]]
        level[1][oid] = qty
        level[0] -= old - qty
        self.sequence += 1

    # -- matching ------------------------------------------------------------------------------
    def _take_asks(self, limit: int, qty: int, budget: int | None) -> int:
        """Consume asks priced <= limit, best first, FIFO within a level; return the unfilled lots."""
        price = self._best_ask
        levels, asks, on_match = self._levels, self._asks, self._on_match
        seq = self.sequence
        while price <= limit:
            level = levels[price]
            total = level[0]
            if qty >= total and (budget is None or budget >= total * price):
                del levels[price]
                seq += 1
                on_match(price, level[1], total, 0)
                qty -= total
                if budget is not None:
                    budget -= total * price
                asks.pop()
                price = -asks[-1] if asks else NO_ASK
                if not qty:
                    break
            else:
                take = qty if budget is None or qty * price <= budget else budget // price
                if take:
                    seq += 1
                    self._take_part(level, price, take)
                    qty -= take
                break
        self._best_ask = price
        self.sequence = seq
        if len(self._where) > self._prune_at:
            self._prune()
        return qty

    def _take_bids(self, limit: int, qty: int) -> int:
        """Consume bids priced >= limit, best first, FIFO within a level; return the unfilled lots."""
        price = self._best_bid
        levels, bids, on_match = self._levels, self._bids, self._on_match
        seq = self.sequence
        while price >= limit:
            level = levels[price]
            total = level[0]
            if qty >= total:
                del levels[price]
                seq += 1
                on_match(price, level[1], total, 0)
                qty -= total
                bids.pop()
                price = bids[-1] if bids else NO_BID
                if not qty:
                    break
            else:
                if qty:  # an order stopped before matching (STP) takes nothing
                    seq += 1
                    self._take_part(level, price, qty)
                    qty = 0
                break
        self._best_bid = price
        self.sequence = seq
        if len(self._where) > self._prune_at:
            self._prune()
        return qty

    def _take_part(self, level: list, price: int, take: int) -> None:
        """Fill ``take`` lots (less than the level holds) from the front of a level that survives."""
        orders = level[1]
        filled = {}
        rest = take
        for oid, qty in orders.items():
            if qty >= rest:
                break
            filled[oid] = qty
            rest -= qty
        for done in filled:
            del orders[done]
        if qty == rest:
            del orders[oid]
        else:
            orders[oid] = qty - rest
        filled[oid] = rest
        level[0] = left = level[0] - take
        if len(orders) > BIG_LEVEL:
            self._count_holes(price, level, len(filled))
        self._on_match(price, filled, take, left)

    def _drop_level(self, price: int) -> None:
        """Forget an emptied level and its entry in the sorted price index of its side."""
        del self._levels[price]
        if price <= self._best_bid:  # at rest every bid is <= best bid < best ask <= every ask
            bids = self._bids
            del bids[bisect_left(bids, price)]
            self._best_bid = bids[-1] if bids else NO_BID
        else:
            asks = self._asks
            del asks[bisect_left(asks, -price)]
            self._best_ask = -asks[-1] if asks else NO_ASK

    def _count_holes(self, price: int, level: list, deleted: int) -> None:
        """Rebuild a big level's dict once its deleted slots outnumber its orders (see BIG_LEVEL)."""
        holes = self._holes.get(price, 0) + deleted
        if holes > len(level[1]):
            level[1] = dict(level[1])
            holes = 0
        self._holes[price] = holes

    def _prune(self) -> None:
        """Rebuild the order -> price map from the levels, dropping filled orders (and stale hole counts)."""
        levels = self._levels
        self._where = {oid: price for price, level in levels.items() for oid in level[1]}
        self._holes = {price: holes for price, holes in self._holes.items() if price in levels}
        self._prune_at = 4 * len(self._where) + PRUNE_SLACK

    # -- queries -------------------------------------------------------------------------------
    def best_bid(self) -> int | None:
        """Highest bid price in ticks, or None."""
        return None if self._best_bid == NO_BID else self._best_bid

    def best_ask(self) -> int | None:
        """Lowest ask price in ticks, or None."""
        return None if self._best_ask == NO_ASK else self._best_ask

    def would_take(self, side: int, price: int) -> bool:
        """Whether a limit order of ``side`` at ``price`` would trade on arrival."""
        return price >= self._best_ask if side == BUY else price <= self._best_bid

    def available(self, side: int, limit: int, qty: int) -> int:
        """Lots a taker of ``side`` could fill up to ``limit``, summed from L2 and capped at ``qty``."""
        found = 0
        for price in self.side_prices(1 - side):
            if (price > limit) if side == BUY else (price < limit):
                break
            found += self._levels[price][0]
            if found >= qty:
                return qty
        return found

    def depth(self, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Top ``n`` levels per side as ``[(price, lots)]``, best first, from the aggregates."""
        if n <= 0:
            return [], []
        levels = self._levels
        bids = [(p, levels[p][0]) for p in self._bids[: -n - 1 : -1]]
        asks = [(-p, levels[-p][0]) for p in self._asks[: -n - 1 : -1]]
        return bids, asks

    def side_prices(self, side: int) -> list[int]:
        """Every level price of one side, best first."""
        return self._bids[::-1] if side == BUY else [-p for p in reversed(self._asks)]

    def level_qty(self, price: int) -> int:
        """Aggregated lots resting at ``price`` (0 when no level)."""
        level = self._levels.get(price)
        return 0 if level is None else level[0]

    def level_orders(self, price: int) -> list[tuple[int, int]]:
        """The L3 view of one level: ``[(order_id, lots)]`` in time priority."""
        level = self._levels.get(price)
        return [] if level is None else list(level[1].items())

    def walk(self, side: int, limit: int) -> Iterator[tuple[int, int, int]]:
        """Yield ``(price, order_id, lots)`` that a taker of ``side`` up to ``limit`` meets, in order."""
        for price in self.side_prices(1 - side):
            if (price > limit) if side == BUY else (price < limit):
                return
            for oid, qty in self._levels[price][1].items():
                yield price, oid, qty

    def remaining(self, oid: int) -> int:
        """Remaining lots of a resting order, 0 if it is not resting."""
        level = self._levels.get(self._where.get(oid))  # type: ignore[arg-type]
        return 0 if level is None else level[1].get(oid, 0)

    def __contains__(self, oid: int) -> bool:
        return self.remaining(oid) > 0

    def __len__(self) -> int:
        return sum(len(level[1]) for level in self._levels.values())
