"""One symbol at run time: book, pending stops, last price, recent trades, and the work on its orders.

``Market.execute`` works one accepted (or just triggered) order: self-trade prevention and
fill-or-kill checks, matching, settlement of every fill against both accounts and the fee account,
then resting or closing the order and releasing what it no longer needs locked. What happened is
appended to the command's record list (see events.py); every Seat whose balances changed is put in
``touched`` so the command can report BalanceChanged once per account and asset.
"""

from __future__ import annotations

from collections import deque

from . import positions
from .accounts import Seat
from .events import EXPIRED, FILLED, LEVEL, TRADE
from .instruments import RATE_SCALE, Instrument
from .orderbook import ANY_PRICE, BUY, OrderBook
from .orders import (
    CUM_QUOTE,
    FEE,
    ID,
    LOCKED,
    PRICE,
    QTY,
    REASON,
    SEAT,
    SIDE,
    STATUS,
    STP,
    TIF,
    UPDATED,
    ExpireReason,
    OrderStatus,
    SelfTradePrevention,
    TimeInForce,
    remaining,
)
from .orders import FILLED as FILLED_LOTS
from .stops import StopBook

#: Public trades kept per symbol for recent_trades().
TRADES_KEPT = 1000
#: Stands for "no quantity limit" (a market buy by quote amount is limited by its budget only).
ANY_QTY = 1 << 62

_GTC, _FOK = TimeInForce.GTC, TimeInForce.FOK
_NO_STP = SelfTradePrevention.NONE
_PARTIALLY_FILLED, _FILLED = OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED


class Market:
    """The run-time state of one instrument and the code that works its orders."""

    __slots__ = (
        "_fee_seat",
        "_matches",
        "_orders",
        "_trade_ids",
        "book",
        "halted",
        "instrument",
        "last_price",
        "quote_volume",
        "stops",
        "trade_count",
        "trades",
        "volume",
    )

    def __init__(self, instrument: Instrument, orders: dict[int, list], trade_ids: list[int]) -> None:
        self.instrument = instrument
        matches: list[tuple[int, dict[int, int], int, int]] = []
        collect = matches.append

        def on_match(price: int, makers: dict[int, int], filled: int, left: int) -> None:
            collect((price, makers, filled, left))

        self._matches = matches
        self.book = OrderBook(on_match)
        self.stops = StopBook()
        self.last_price: int | None = None
        self.halted = False  # no new orders nor amends while halted (a market condition)
        self.trades: deque[tuple] = deque(maxlen=TRADES_KEPT)
        self.trade_count = 0  # trades (maker fills) since listing
        self.volume = 0  # lots traded since listing
        self.quote_volume = 0  # quote units traded since listing
        self._orders = orders
        self._fee_seat: Seat | None = None
        self._trade_ids = trade_ids

    def collect_fees_in(self, seat: Seat) -> None:
        """Name the fee account's seat (set once, when the Exchange lists the instrument)."""
        self._fee_seat = seat

    def execute(self, order: list, ts: int, records: list, touched: dict) -> None:
        """Work a working order against the book, then rest it or close it."""
        book = self.book
        side, price, tif = order[SIDE], order[PRICE], order[TIF]
        qty = ANY_QTY if order[QTY] is None else order[QTY] - order[FILLED_LOTS]
        budget = order[LOCKED] // self.instrument.quote_per_step if price is None and side == BUY else None
        rests = tif == _GTC
        reason = ExpireReason.IOC
        if order[STP] != _NO_STP or tif == _FOK:
            plan = self._pre_match(order, qty, budget, ts, records, touched)
            if plan is None:
                return self._close(order, ExpireReason.FOK, ts, records, touched)
            qty, stopped = plan
            if stopped:
                rests, reason = False, ExpireReason.STP
        sequence = book.sequence
        if price is None:
            book.market(side, qty, budget)
        elif rests:
            book.add_limit(order[ID], side, price, qty)
        else:
            book.take(side, price, qty)
        if self._matches:
            self._settle(order, sequence, ts, records, touched)
        if rests and order[QTY] > order[FILLED_LOTS]:
            self._rest(order, records, touched)
        else:
            self._close(order, reason, ts, records, touched)

    def _pre_match(
        self, order: list, qty: int, budget: int | None, ts: int, records: list, touched: dict
    ) -> tuple[int, bool] | None:
        """Apply self-trade prevention and fill-or-kill before matching.

        Returns the lots the order may match and whether STP stops it there, or None when a FOK
        order cannot fill completely (then nothing at all happens: no maker is expired either).
        """
        side, price = order[SIDE], order[PRICE]
        limit = price if price is not None else (ANY_PRICE if side == BUY else 0)
        if order[STP] != _NO_STP:
            self_makers, reachable, stopped = self._plan_self_trade(order, limit, qty, budget)
        else:
            self_makers, reachable, stopped = [], self.book.available(side, limit, qty), False
        if order[TIF] == _FOK and reachable < qty:
            return None
        for maker_id in self_makers:
            self._expire_maker(self._orders[maker_id], ts, records, touched)
        return (reachable if stopped else qty), stopped

    def _settle(self, order: list, sequence: int, ts: int, records: list, touched: dict) -> None:
        """Settle the fills of the last match: each maker as it fills, the taker and fee account once."""
        instrument = self.instrument
        per_step, per_lot = instrument.quote_per_step, instrument.base_per_lot
        orders, matches = self._orders, self._matches
        seat = order[SEAT]
        taker_rate, taker_side = seat.taker_rate, order[SIDE]
        taker_buys = taker_side == BUY
        taker_filled = order[FILLED_LOTS]
        trade_id = self._trade_ids[0]
        taker_fees = maker_fees = 0
        trades: list[tuple] = []
        for price, makers, _, _ in matches:
            for maker_id, qty in makers.items():
                maker = orders[maker_id]
                maker_seat = maker[SEAT]
                step = price * qty
                quote = step * per_step
                base = qty * per_lot
                position = maker_seat.position
                net = position[0]
                # Fees are charged in the asset each side receives (DESIGN §10.7), rounded down. A
                # position growing in its own direction is the common case, updated inline.
                if taker_buys:
                    maker_fee = quote * maker_seat.maker_rate // RATE_SCALE
                    fee = base * taker_rate // RATE_SCALE
                    maker_seat.base[1] -= base
                    maker_seat.quote[0] += quote - maker_fee
                    maker[LOCKED] -= base
                    if net <= 0:
                        position[0] = net - qty
                        position[1] -= step
                    else:
                        positions.sell(position, qty, step)
                else:
                    maker_fee = base * maker_seat.maker_rate // RATE_SCALE
                    fee = quote * taker_rate // RATE_SCALE
                    maker_seat.quote[1] -= quote
                    maker_seat.base[0] += base - maker_fee
                    maker[LOCKED] -= quote
                    if net >= 0:
                        position[0] = net + qty
                        position[1] += step
                    else:
                        positions.buy(position, qty, step)
                taker_fees += fee
                maker_fees += maker_fee
                taker_filled += qty
                maker_filled = maker[FILLED_LOTS] + qty
                maker[FILLED_LOTS] = maker_filled
                maker[CUM_QUOTE] += quote
                maker[FEE] += maker_fee
                maker[UPDATED] = ts
                trade = (
                    TRADE,
                    trade_id,
                    instrument,
                    price,
                    qty,
                    quote,
                    taker_side,
                    maker,
                    order,
                    maker_fee,
                    fee,
                    maker_filled,
                    taker_filled,
                    ts,
                )
                trade_id += 1
                trades.append(trade)
                maker_account = maker_seat.account
                maker_account.maker_fills.append(trade)
                touched[maker_seat] = None
                if maker_filled == maker[QTY]:
                    maker[STATUS] = _FILLED
                    maker_account.retire(maker, orders)
                else:
                    maker[STATUS] = _PARTIALLY_FILLED
        self._trade_ids[0] = trade_id
        records.extend(trades)
        symbol, maker_side = instrument.symbol, 1 - taker_side
        lots = steps = 0
        for price, _, filled, left in matches:
            lots += filled
            steps += price * filled
            sequence += 1
            records.append((LEVEL, symbol, maker_side, price, left, sequence))
        matches.clear()
        # the taker's side, in one go: spent from its lock, received less fees, one position update
        quote_total = steps * per_step
        fees = self._fee_seat
        if taker_buys:
            spent = quote_total
            seat.quote[1] -= spent
            seat.base[0] += lots * per_lot - taker_fees
            fees.base[0] += taker_fees  # type: ignore[union-attr]
            fees.quote[0] += maker_fees  # type: ignore[union-attr]
            positions.buy(seat.position, lots, steps)
        else:
            spent = lots * per_lot
            seat.base[1] -= spent
            seat.quote[0] += quote_total - taker_fees
            fees.quote[0] += taker_fees  # type: ignore[union-attr]
            fees.base[0] += maker_fees  # type: ignore[union-attr]
            positions.sell(seat.position, lots, steps)
        touched[seat] = None
        touched[fees] = None
        order[FILLED_LOTS] = taker_filled
        order[CUM_QUOTE] += quote_total
        order[FEE] += taker_fees
        order[LOCKED] -= spent
        order[STATUS] = _PARTIALLY_FILLED
        order[UPDATED] = ts
        self.last_price = price
        self.trade_count += len(trades)
        self.volume += lots
        self.quote_volume += quote_total
        self.trades.extend(trades)
        seat.account.taker_fills.extend(trades)

    def _rest(self, order: list, records: list, touched: dict) -> None:
        """Record the level the order now rests on; release what price improvement freed."""
        book, side, price = self.book, order[SIDE], order[PRICE]
        records.append((LEVEL, self.instrument.symbol, side, price, book.level_qty(price), book.sequence))
        if side == BUY and order[FILLED_LOTS]:
            excess = order[LOCKED] - price * remaining(order) * self.instrument.quote_per_step
            if excess:
                seat = order[SEAT]
                order[LOCKED] -= excess
                seat.quote[1] -= excess
                seat.quote[0] += excess
                touched[seat] = None

    def _close(self, order: list, reason: str, ts: int, records: list, touched: dict) -> None:
        """End an order that will not rest: FILLED, or EXPIRED for ``reason``; release its lock."""
        if order[QTY] is None:  # market buy by quote amount: done when its budget is spent
            done = (
                reason != ExpireReason.STP
                and order[FILLED_LOTS] > 0
                and (order[LOCKED] < self.instrument.quote_per_step or self.book.best_ask() is not None)
            )
        else:
            done = order[FILLED_LOTS] == order[QTY]
        if not done and reason == ExpireReason.IOC and order[PRICE] is None and order[SIDE] == BUY:
            if self.book.best_ask() is not None:  # asks left but no quote left to pay for them
                reason = ExpireReason.BUDGET
        self.release(order, touched)
        order[UPDATED] = ts
        if done:
            order[STATUS] = _FILLED
            records.append((FILLED, order))
        else:
            order[STATUS] = OrderStatus.EXPIRED
            order[REASON] = reason
            records.append((EXPIRED, order))
        order[SEAT].account.retire(order, self._orders)

    def release(self, order: list, touched: dict) -> None:
        """Give back everything still locked for an order."""
        locked = order[LOCKED]
        if locked:
            seat = order[SEAT]
            cell = seat.quote if order[SIDE] == BUY else seat.base
            cell[1] -= locked
            cell[0] += locked
            order[LOCKED] = 0
            touched[seat] = None

    def _expire_maker(self, maker: list, ts: int, records: list, touched: dict) -> None:
        """Take a resting order off the book because of self-trade prevention."""
        book, price = self.book, maker[PRICE]
        book.cancel(maker[ID])
        records.append(
            (LEVEL, self.instrument.symbol, maker[SIDE], price, book.level_qty(price), book.sequence)
        )
        self.release(maker, touched)
        maker[STATUS] = OrderStatus.EXPIRED
        maker[REASON] = ExpireReason.STP
        maker[UPDATED] = ts
        records.append((EXPIRED, maker))
        maker[SEAT].account.retire(maker, self._orders)

    def _plan_self_trade(
        self, order: list, limit: int, qty: int, budget: int | None
    ) -> tuple[list[int], int, bool]:
        """Walk the makers the order would meet, as matching would, and decide what STP does.

        Returns the resting orders of the same account to expire (EXPIRE_MAKER / EXPIRE_BOTH), the
        lots the order can trade with other accounts before STP stops it or it is done, and whether
        STP stops the order (EXPIRE_TAKER / EXPIRE_BOTH met one of its account's orders in time).
        """
        account, mode, orders = order[SEAT].account, order[STP], self._orders
        expire_makers = mode != SelfTradePrevention.EXPIRE_TAKER
        stops_taker = mode != SelfTradePrevention.EXPIRE_MAKER
        self_makers: list[int] = []
        reachable = 0
        for price, maker_id, lots in self.book.walk(order[SIDE], limit):
            if qty <= 0 or (budget is not None and budget < price):
                break
            if orders[maker_id][SEAT].account is account:
                if expire_makers:
                    self_makers.append(maker_id)
                if stops_taker:
                    return self_makers, reachable, True
                continue
            take = min(lots, qty) if budget is None else min(lots, qty, budget // price)
            reachable += take
            qty -= take
            if budget is not None:
                budget -= take * price
        return self_makers, reachable, False
