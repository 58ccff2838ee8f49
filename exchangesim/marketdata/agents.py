"""Liquidity agents: they trade through the engine with their own accounts, like any client.

``MarketMaker`` quotes ``levels`` orders a side around the fair price and moves them with amends
(``Exchange.replace``) rather than cancel and place. ``Taker`` arrives at a Poisson rate and trades
toward the fair price: a marketable limit up to the fair price when the book is off it, otherwise a
market order on a random side, so ``last_price`` follows the model through real trades. Both act at
ticks of market time, so a run repeats trade for trade from its seed.

Agents never run dry: ``refill`` tops an agent's balances back up to what it started with by a
deposit (the simulator mints it; it is not taken from anyone) when one falls under a quarter.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

from ..config import LiquidityConfig
from ..engine import EngineError, Exchange, Instrument, parse_amount

__all__ = ["MarketMaker", "Taker", "funding_for", "lots_for", "refill"]


def lots_for(instrument: Instrument, notional: Decimal, price: int) -> int:
    """Lots worth about ``notional`` of quote at ``price`` ticks, at least the instrument's minimum."""
    value = notional / (instrument.tick_size * price * instrument.lot_size)
    lots = max(int(value), instrument.min_lots, -(-instrument.min_notional_steps // price))
    return min(lots, instrument.max_lots)


class _Agent:
    """What every agent has: the engine it trades through, its account, its symbol and its settings."""

    def __init__(self, exchange: Exchange, account: str, symbol: str, settings: LiquidityConfig) -> None:
        self._exchange = exchange
        self.account = account
        self.symbol = symbol
        self._instrument = exchange.instrument(symbol)
        self._settings = settings


class MarketMaker(_Agent):
    """Keeps ``levels`` bids and asks resting around the fair price."""

    def __init__(
        self, exchange: Exchange, account: str, symbol: str, settings: LiquidityConfig, phase_ms: int = 0
    ) -> None:
        super().__init__(exchange, account, symbol, settings)
        self._quotes: dict[str, list[int | None]] = {
            "BUY": [None] * settings.levels,
            "SELL": [None] * settings.levels,
        }
        self._quoted_fair: int | None = None
        self._refresh_at: int | None = None
        # Makers of many symbols start their refresh cycles this far apart, not all in one turn.
        self._phase_ms = phase_ms

    def targets(self, fair: int) -> dict[str, list[int]]:
        """The prices (ticks) to quote at ``fair``: bids rounded down, asks up, never crossing."""
        half = Decimal(fair) * self._settings.spread_bps / 20_000
        step = Decimal(fair) * self._settings.spacing_bps / 10_000
        bids, asks = [], []
        for level in range(self._settings.levels):
            away = half + step * level
            bids.append(max(1, min(math.floor(fair - away), fair - 1 - level)))
            asks.append(max(math.ceil(fair + away), fair + 1 + level))
        return {"BUY": bids, "SELL": asks}

    def due(self, fair: int, ts: int) -> bool:
        """Whether to requote: the first time, after ``refresh_ms``, or when fair moved half a level."""
        if self._quoted_fair is None or self._refresh_at is None or ts >= self._refresh_at:
            return True
        moved = abs(fair - self._quoted_fair) * 20_000
        return moved >= self._quoted_fair * max(self._settings.spacing_bps, Decimal(1))

    def quote(self, fair: int, ts: int) -> None:
        """Move every quote to its target price and size: amend a live one, place a missing one.

        The side the price moves toward goes first (asks when fair rises), so a moved quote never
        meets one of the maker's own on the other side.
        """
        first = self._quoted_fair is None
        rising = not first and fair > self._quoted_fair  # type: ignore[operator]
        self._quoted_fair = fair
        self._refresh_at = ts + self._settings.refresh_ms - (self._phase_ms if first else 0)
        # A quote within a quarter level of its target, and at least half its size, stays as it is:
        # moving it would cost the engine and every BOOK subscriber an update for nothing.
        tolerance = int(fair * self._settings.spacing_bps / 40_000)
        targets = self.targets(fair)
        for side in ("SELL", "BUY") if rising else ("BUY", "SELL"):
            prices = targets[side]
            orders = self._quotes[side]
            for level, price in enumerate(prices):
                lots = lots_for(self._instrument, self._settings.level_notional, price)
                orders[level] = self._requote(orders[level], side, price, lots, tolerance, ts)

    def adopt(self) -> None:
        """Take over the account's orders resting in this symbol (after a restart), nearest first."""
        resting = self._exchange.open_orders(self.account, self.symbol)
        for side in ("BUY", "SELL"):
            prices = sorted(
                (order.price, order.order_id) for order in resting if order.side == side and order.is_working
            )
            if side == "BUY":
                prices.reverse()
            ids: list[int | None] = [order_id for _, order_id in prices[: self._settings.levels]]
            self._quotes[side] = ids + [None] * (self._settings.levels - len(ids))
        self._quoted_fair = self._refresh_at = None

    def _requote(
        self, order_id: int | None, side: str, price: int, lots: int, tolerance: int, ts: int
    ) -> int | None:
        exchange = self._exchange
        if order_id is not None:
            order = exchange.get_order(self.account, order_id)
            if order.is_working and order.status in ("NEW", "PARTIALLY_FILLED"):
                left = order.quantity - order.filled
                if abs(order.price - price) <= tolerance and left * 2 >= lots:  # type: ignore[operator]
                    return order_id
                try:
                    exchange.replace(self.account, order_id, price=price, quantity=order.filled + lots, ts=ts)
                    return order_id
                except EngineError:
                    exchange.cancel(self.account, order_id, ts=ts)
        try:
            return exchange.place(self.account, self.symbol, side, "LIMIT_MAKER", lots, price, ts=ts).order_id
        except EngineError:  # the book moved onto the price, or the balance ran short: next time
            return None


class Taker(_Agent):
    """Trades at Poisson arrivals in market time, toward the fair price.

    The gaps between arrivals are exponential, drawn from the taker's own stream; an arrival acts at
    the first tick at or after it, so however the ticks are run the same orders go out at the same
    times.
    """

    def __init__(
        self,
        exchange: Exchange,
        account: str,
        symbol: str,
        settings: LiquidityConfig,
        rng: np.random.Generator,
    ) -> None:
        super().__init__(exchange, account, symbol, settings)
        self._rng = rng
        self.next_arrival: float = math.inf  # market time (ms) of the next arrival; none before ``begin``

    def begin(self, ts: int) -> None:
        """Start arriving from market time ``ts``."""
        self.next_arrival = ts + self._gap()

    def act(self, fair: int, ts: int) -> int:
        """Send the orders that arrived by market time ``ts``; return how many were sent."""
        sent = 0
        while self.next_arrival <= ts:
            self._trade(fair, ts)
            self.next_arrival += self._gap()
            sent += 1
        return sent

    def state(self) -> dict[str, object]:
        """What a snapshot keeps: the random stream's state and the next arrival."""
        return {"rng": self._rng.bit_generator.state, "next_arrival": self.next_arrival}

    def restore(self, state: dict[str, object]) -> None:
        self._rng.bit_generator.state = state["rng"]
        self.next_arrival = state["next_arrival"]  # type: ignore[assignment]

    def _gap(self) -> float:
        """Milliseconds of market time to the next arrival."""
        rate = self._settings.taker_rate
        return self._rng.exponential(1000 / rate) if rate > 0 else math.inf

    def _trade(self, fair: int, ts: int) -> None:
        exchange, rng = self._exchange, self._rng
        bid, ask = exchange.best_bid_ask(self.symbol)
        notional = self._settings.taker_notional * Decimal(str(round(rng.exponential(1.0), 6)))
        lots = lots_for(self._instrument, max(notional, Decimal(1)), fair)
        try:
            if ask is not None and fair > ask:
                exchange.place(
                    self.account, self.symbol, "BUY", "LIMIT", lots, fair, time_in_force="IOC", ts=ts
                )
            elif bid is not None and fair < bid:
                exchange.place(
                    self.account, self.symbol, "SELL", "LIMIT", lots, fair, time_in_force="IOC", ts=ts
                )
            elif bid is not None and ask is not None:
                side = "BUY" if rng.random() < 0.5 else "SELL"
                exchange.place(self.account, self.symbol, side, "MARKET", lots, ts=ts)
        except EngineError:  # nothing to trade against at that size, or short of balance: next arrival
            pass


def refill(exchange: Exchange, account: str, funding: dict[str, int], ts: int) -> None:
    """Deposit back up to ``funding`` (asset -> units) whatever has fallen under a quarter of it."""
    balances = exchange.balances(account)
    for asset, amount in funding.items():
        view = balances.get(asset)
        total = 0 if view is None else view.available + view.locked
        if total * 4 < amount:
            exchange.deposit(account, asset, amount - total, ts=ts)


def funding_for(instrument: Instrument, settings: LiquidityConfig, price: int) -> dict[str, int]:
    """What an agent starts with: twenty times its whole ladder in both assets."""
    notional = settings.level_notional * settings.levels * 20
    base = lots_for(instrument, notional, price) * instrument.base_per_lot
    return {instrument.base: base, instrument.quote: parse_amount(notional)}
