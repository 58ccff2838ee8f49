"""Liquidity agents: they trade through the engine with their own accounts, like any client.

Every agent is anchored to the model's fair price, acts at ticks of market time and draws from its own
seeded stream, so a run repeats trade for trade from its seed.

- ``MarketMaker`` quotes ``levels`` orders a side near the fair price, sizes varying and growing with
  depth, shifted against its inventory and widened when the fair price moves faster than usual
  (Avellaneda and Stoikov's maker, simplified); it moves them with amends (``Exchange.replace``), and
  first takes any quote left on the wrong side of the fair price.
- ``LimitTrader`` rests limit orders away from the touch and cancels them after a random lifetime
  (zero-intelligence flow, Farmer, Patelli and Zovko 2005): more of them, and larger, further out, so
  depth grows with distance and a large order moves the price less than in proportion.
- ``Taker`` arrives in bursts (``Arrivals``) with log-normal sizes: an informed share trades toward the
  fair price when the book is off it, the rest pick a side at random.

Agents never run dry: ``refill`` tops an agent's available balances back up to what it started with
by a deposit (the simulator mints it; it is not taken from anyone) when one falls under a quarter.
"""

from __future__ import annotations

import functools
import heapq
import math
from decimal import Decimal
from typing import Any

import numpy as np

from ..config import AgentSettings
from ..engine import EngineError, Exchange, Instrument, parse_amount
from .arrivals import Arrivals

__all__ = ["LimitTrader", "MarketMaker", "Taker", "funding_for", "lots_for", "refill"]

YEAR_MS = 365 * 24 * 3600 * 1000
_OPEN = ("NEW", "PARTIALLY_FILLED")
ODDS_MS = 100
STALE_ROUNDS = 20  # the maker takes at most 20 x 20 stale levels a side before it quotes


def lots_for(instrument: Instrument, notional: Decimal, price: int) -> int:
    """Lots worth about ``notional`` of quote at ``price`` ticks, at least the instrument's minimum."""
    value = notional / (instrument.tick_size * price * instrument.lot_size)
    lots = max(int(value), instrument.min_lots, -(-instrument.min_notional_steps // price))
    return min(lots, instrument.max_lots)


def _level_notionals(settings: AgentSettings) -> list[Decimal]:
    """The maker's notional at each level before its random factor: ``level_notional`` at the first,
    half of it more at each level further out."""
    notional = settings.level_notional
    return [notional * Decimal(1 + level) / 2 + notional / 2 for level in range(settings.levels)]


def _log_normal(rng: np.random.Generator, sigma: float) -> Decimal:
    """A factor of mean 1 whose log has standard deviation ``sigma``."""
    return Decimal(repr(round(math.exp(sigma * rng.standard_normal() - sigma * sigma / 2), 6)))


class _Agent:
    """What every agent has: the engine it trades through, its account, its symbol, its settings and its
    random stream."""

    def __init__(
        self,
        exchange: Exchange,
        account: str,
        symbol: str,
        settings: AgentSettings,
        rng: np.random.Generator,
    ) -> None:
        self._exchange = exchange
        self.account = account
        self.symbol = symbol
        self._instrument = exchange.instrument(symbol)
        self._settings = settings
        self._rng = rng

    @property
    def settings(self) -> AgentSettings:
        return self._settings

    def retune(self, settings: AgentSettings) -> None:
        """Act on ``settings`` from now on (a market condition changed them)."""
        self._settings = settings


class MarketMaker(_Agent):
    """Keeps ``levels`` bids and asks resting near the fair price."""

    def __init__(
        self,
        exchange: Exchange,
        account: str,
        symbol: str,
        settings: AgentSettings,
        rng: np.random.Generator,
        phase_ms: int = 0,
        volatility: float = 0.0,
        tick_ms: int = 1,
    ) -> None:
        super().__init__(exchange, account, symbol, settings, rng)
        self._quotes: dict[str, list[int | None]] = {
            "BUY": [None] * settings.levels,
            "SELL": [None] * settings.levels,
        }
        self._level_notionals = _level_notionals(settings)
        self._quoted_fair: int | None = None
        self._half_level = 0  # ticks: half a level at the quoted fair price
        self._refresh_at: int | None = None
        self._phase_ms = phase_ms  # makers of many symbols start their cycles this far apart
        self.inventory = 0.0  # base held over (or under) the starting balance, in starting balances
        self.stress = 1.0  # how much wider a market condition has it quote
        # The variance of the fair price's log a millisecond at the configured volatility, and what the
        # maker has seen lately (an average over about a second), to widen its quotes in a storm.
        self._usual_variance = volatility * volatility / YEAR_MS
        self._seen_variance = self._usual_variance
        self._tick_ms = tick_ms
        self._last_fair: int | None = None

    def retune(self, settings: AgentSettings) -> None:
        super().retune(settings)
        self._level_notionals = _level_notionals(settings)

    def observe(self, fair: int) -> None:
        """See the fair price of one more tick (what the maker's volatility estimate is made of)."""
        if self._last_fair is not None and self._usual_variance > 0:
            step = math.log(fair / self._last_fair)
            weight = min(1.0, self._tick_ms / 1000)
            self._seen_variance += weight * (step * step / self._tick_ms - self._seen_variance)
        self._last_fair = fair

    def widening(self) -> float:
        """How much wider than usual to quote: the ratio of seen to usual volatility, to a power."""
        power = self._settings.volatility_widening
        if power == 0 or self._usual_variance == 0:
            return 1.0
        return max(1.0, math.sqrt(self._seen_variance / self._usual_variance)) ** power

    def targets(self, fair: int) -> dict[str, list[int]]:
        """The prices (ticks) to quote at ``fair``: bids rounded down, asks up, never crossing the centre.

        The centre is fair shifted against the inventory; each level's distance from it is at least one
        tick more than the level before, and widens with ``widening()``.
        """
        settings = self._settings
        exact_fair = Decimal(fair)
        shift = round(exact_fair * settings.skew_bps / 10_000 * Decimal(repr(self.inventory)))
        centre = Decimal(fair - shift)  # a whole number of ticks, converted once rather than per level
        half = exact_fair * settings.spread_bps / 20_000
        step = exact_fair * settings.spacing_bps / 10_000
        wider = Decimal(repr(self.widening() * self.stress))
        bids, asks = [], []
        for level in range(settings.levels):
            away = max(half + step * level, Decimal(level + 1)) * wider
            bids.append(max(1, math.floor(centre - away)))
            asks.append(max(math.ceil(centre + away), 2))
        return {"BUY": bids, "SELL": asks}

    def due(self, fair: int, ts: int) -> bool:
        """Whether to requote: the first time, after ``refresh_ms``, or when fair moved half a level."""
        if self._quoted_fair is None or self._refresh_at is None or ts >= self._refresh_at:
            return True
        return abs(fair - self._quoted_fair) >= self._half_level

    def quote(self, fair: int, ts: int, inventory: float = 0.0) -> None:
        """Move every quote to its target price and size (amend a live one, place a missing one), and
        take others' quotes left on the wrong side of ``fair``.

        The side the price moves toward goes first (asks when fair rises), so a moved quote never meets
        one of the maker's own on the other side; then what others left beyond fair is taken, so the
        other side's quotes can go where they belong.
        """
        self.inventory = inventory
        first = self._quoted_fair is None
        rising = not first and fair > self._quoted_fair  # type: ignore[operator]
        self._quoted_fair = fair
        settings = self._settings
        # at least a tick: fair moves on the tick grid, and a low price's half level rounds to none
        self._half_level = max(1, int(fair * max(settings.spacing_bps, Decimal(1)) / 20_000))
        self._refresh_at = ts + settings.refresh_ms - (self._phase_ms if first else 0)
        # A quote within a quarter level of its target, and at least half its size, stays as it is:
        # moving it would cost the engine and every BOOK subscriber an update for nothing.
        tolerance = int(fair * settings.spacing_bps / 40_000)
        targets = self.targets(fair)
        leading, trailing = ("SELL", "BUY") if rising else ("BUY", "SELL")
        self._requote_side(leading, targets[leading], tolerance, ts)
        self._take_stale(fair, ts)
        self._requote_side(trailing, targets[trailing], tolerance, ts)

    def _requote_side(self, side: str, prices: list[int], tolerance: int, ts: int) -> None:
        rng, instrument, dispersion = self._rng, self._instrument, self._settings.size_dispersion
        orders = self._quotes[side]
        for level, (price, notional) in enumerate(zip(prices, self._level_notionals, strict=True)):
            if dispersion:
                notional *= _log_normal(rng, dispersion)
            lots = lots_for(instrument, notional, price)
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

    def _take_stale(self, fair: int, ts: int) -> None:
        """Trade away others' quotes left on the wrong side of ``fair`` (after a jump, all of them): they
        would block its own, and they are a bargain. It never trades with itself (``EXPIRE_TAKER``)."""
        exchange = self._exchange
        bid, ask = exchange.best_bid_ask(self.symbol)
        if (ask is None or ask >= fair) and (bid is None or bid <= fair):
            return  # the usual case, seen in one look at the touch
        for side in ("BUY", "SELL"):
            wrong = (lambda price: price < fair) if side == "BUY" else (lambda price: price > fair)
            for _ in range(STALE_ROUNDS):
                best = exchange.best_bid_ask(self.symbol)[0 if side == "SELL" else 1]
                if best is None or not wrong(best):
                    break
                depth = exchange.depth(self.symbol, 20)
                stale = [level for level in (depth.asks if side == "BUY" else depth.bids) if wrong(level[0])]
                try:
                    exchange.place(
                        self.account,
                        self.symbol,
                        side,
                        "LIMIT",
                        sum(lots for _, lots in stale),
                        stale[-1][0],
                        time_in_force="IOC",
                        stp="EXPIRE_TAKER",
                        ts=ts,
                    )
                except EngineError:  # short of balance: the informed takers will take the rest
                    break

    def _requote(
        self, order_id: int | None, side: str, price: int, lots: int, tolerance: int, ts: int
    ) -> int | None:
        exchange = self._exchange
        if order_id is not None:
            order = exchange.order_progress(self.account, order_id)
            if order.is_working and order.status in _OPEN:
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


class _ArrivingAgent(_Agent):
    """An agent that acts at arrival times of its own (``Arrivals``, from its own stream)."""

    @functools.cached_property
    def _arrivals(self) -> Arrivals:
        return self._arrivals_for(self._settings, self._rng)

    def _arrivals_for(self, settings: AgentSettings, rng: np.random.Generator) -> Arrivals:
        raise NotImplementedError

    @property
    def next_arrival(self) -> float:
        return self._arrivals.next_ms

    def state(self) -> dict[str, object]:
        """What a snapshot keeps: the random stream's state and the arrival process's."""
        return {"rng": self._rng.bit_generator.state, "arrivals": self._arrivals.state()}

    def restore(self, state: dict[str, object]) -> None:
        self._rng.bit_generator.state = state["rng"]
        self._arrivals.restore(state["arrivals"])  # type: ignore[arg-type]


class LimitTrader(_ArrivingAgent):
    """Rests limit orders away from the touch at random times, each canceled after a random lifetime."""

    _odds = 0.5  # the chance of a bid, looked up again from ``_odds_until`` on (``_buy_odds``)
    _odds_until = -math.inf

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._expiries: list[tuple[float, int]] = []  # (market time, order id), soonest first

    def _arrivals_for(self, settings: AgentSettings, rng: np.random.Generator) -> Arrivals:
        return Arrivals(2 * settings.limit_rate, 0.0, 1.0, rng)  # both sides together

    def begin(self, fair: int, ts: int) -> None:
        """Start at market time ``ts`` with the book the flow keeps in the long run (``limit_rate``
        times ``limit_lifetime_s`` orders a side), so the market opens deep."""
        settings = self._settings
        for _ in range(2 * round(settings.limit_rate * settings.limit_lifetime_s)):
            self._rest(fair, ts)
        self._arrivals.begin(ts)

    def act(self, fair: int, ts: int) -> None:
        """Cancel what has lived its time, then rest the orders that arrived by market time ``ts``."""
        expiries = self._expiries
        while expiries and expiries[0][0] <= ts:
            _, order_id = heapq.heappop(expiries)
            try:
                self._exchange.cancel(self.account, order_id, ts=ts)
            except EngineError:  # filled meanwhile
                pass
        arrivals = self._arrivals
        while arrivals.next_ms <= ts:
            self._rest(fair, ts)
            arrivals.advance()

    def state(self) -> dict[str, object]:
        return {**super().state(), "expiries": self._expiries}

    def restore(self, state: dict[str, object]) -> None:
        super().restore(state)
        self._expiries = list(state["expiries"])  # type: ignore[call-overload]

    def _buy_odds(self, fair: int, reach: float, ts: int) -> float:
        """The chance that the next order is a bid: the thinner side of the book within half the reach
        gets more, so a side the price ran through fills back in (a queue-reactive rule). Looked up at
        most every ``ODDS_MS`` of market time: reading the book costs more than an order."""
        if ts >= self._odds_until:
            depth = self._exchange.depth(self.symbol, 200)
            near = reach / 2
            bids = sum(1 for price, _ in depth.bids if fair - price <= near)
            asks = sum(1 for price, _ in depth.asks if price - fair <= near)
            self._odds = (asks + 1) ** 2 / ((bids + 1) ** 2 + (asks + 1) ** 2)
            self._odds_until = ts + ODDS_MS
        return self._odds

    def _rest(self, fair: int, ts: int) -> None:
        """One limit order at a distance whose density grows with the square root of the distance."""
        rng, settings = self._rng, self._settings
        reach = float(fair * settings.limit_depth_bps / 10_000)
        share = rng.random() ** (2 / 3)  # the distance's share of the reach: density ~ sqrt(distance)
        away = max(1, round(reach * share))
        side = "BUY" if rng.random() < self._buy_odds(fair, reach, ts) else "SELL"
        price = fair - away if side == "BUY" else fair + away
        notional = settings.limit_notional * Decimal(repr(round(0.5 + share, 6)))
        if settings.size_dispersion:
            notional *= _log_normal(rng, settings.size_dispersion)
        lifetime = rng.exponential(settings.limit_lifetime_s * 1000)
        if price < 1:
            return
        try:
            lots = lots_for(self._instrument, notional, price)
            order = self._exchange.place(self.account, self.symbol, side, "LIMIT_MAKER", lots, price, ts=ts)
        except EngineError:  # it would cross a stale quote, or the balance ran short: let it go
            return
        heapq.heappush(self._expiries, (ts + lifetime, order.order_id))


class Taker(_ArrivingAgent):
    """Sends market orders in bursts, toward the fair price when informed."""

    def _arrivals_for(self, settings: AgentSettings, rng: np.random.Generator) -> Arrivals:
        return Arrivals(settings.taker_rate, settings.taker_clustering, settings.taker_memory_ms, rng)

    def begin(self, ts: int) -> None:
        """Start arriving from market time ``ts``."""
        self._arrivals.begin(ts)

    def act(self, fair: int, ts: int) -> int:
        """Send the orders that arrived by market time ``ts``; return how many were sent."""
        sent = 0
        arrivals = self._arrivals
        while arrivals.next_ms <= ts:
            self._trade(fair, ts)
            arrivals.advance()
            sent += 1
        return sent

    def _trade(self, fair: int, ts: int) -> None:
        exchange, rng, settings = self._exchange, self._rng, self._settings
        bid, ask = exchange.best_bid_ask(self.symbol)
        notional = settings.taker_notional * _log_normal(rng, settings.taker_size_sigma)
        lots = lots_for(self._instrument, max(notional, Decimal(1)), fair)
        informed = rng.random() < settings.informed_share
        try:
            if informed and ask is not None and fair > ask:
                exchange.place(
                    self.account, self.symbol, "BUY", "LIMIT", lots, fair, time_in_force="IOC", ts=ts
                )
            elif informed and bid is not None and fair < bid:
                exchange.place(
                    self.account, self.symbol, "SELL", "LIMIT", lots, fair, time_in_force="IOC", ts=ts
                )
            elif bid is not None and ask is not None:
                side = "BUY" if rng.random() < 0.5 else "SELL"
                exchange.place(self.account, self.symbol, side, "MARKET", lots, ts=ts)
        except EngineError:  # nothing to trade against at that size, or short of balance: next arrival
            pass


def refill(exchange: Exchange, account: str, funding: dict[str, int], ts: int) -> None:
    """Deposit back up to ``funding`` (asset -> units) whatever has fallen under a quarter of it
    available (what resting orders lock does not count)."""
    for asset, amount in funding.items():
        available = exchange.balance(account, asset).available
        if available * 4 < amount:
            exchange.deposit(account, asset, amount - available, ts=ts)


def funding_for(instrument: Instrument, settings: AgentSettings, price: int) -> dict[str, int]:
    """What an agent starts with, in both assets: enough for twenty of the maker's whole ladders, for
    the limit traders' resting orders three times over, and for fifty average taker orders."""
    ladder = settings.level_notional * settings.levels * (settings.levels + 3) / 4
    resting = settings.limit_notional * Decimal(repr(settings.limit_rate * settings.limit_lifetime_s))
    notional = max(ladder * 20, resting * 3, settings.taker_notional * 50)
    base = lots_for(instrument, notional, price) * instrument.base_per_lot
    return {instrument.base: base, instrument.quote: parse_amount(notional)}
