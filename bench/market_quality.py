#!/usr/bin/env python3
"""Market quality: the default market against the realism yardsticks, measured as a client sees it.

Starts ``twistd exchangesim`` (this checkout's code) as a subprocess with the package's defaults (the
``liquid`` preset, seed 42, BTC/USD and ETH/USD) except ``[market_data] speed``, persistence off, a
fixed admin token and a funded ``[account:bench]``; lets ``--warmup`` simulated seconds pass, records
``--minutes`` of simulated market time through the daemon's own APIs, then probes impact and resilience
with market orders of its own. Prints one JSON line per metric and symbol (``value``, ``goal``, ``met``
and the figures behind it), then a summary line:

    python bench/market_quality.py                     # 10 simulated minutes at speed 10: ~80 s
    python bench/market_quality.py --minutes 1         # a quick look: ~25 s

Every time is the daemon's market time (stream ``ts``, ``timestamp`` of REST answers, ``market_time`` of
``/api/v1/health``), so a daemon that falls behind its schedule (``max_market_lag_ms`` in the summary)
still measures right:

* one ``/ws`` connection (``"batch": true``) holds TICKER and TRADES of every symbol. The top of the
  book at a market time is the last TICKER at or before it: the spread is sampled every 100 ms, the mid
  at each whole second (1 s log returns). Taker orders are the public trades grouped by (``ts``, side),
  as Binance's aggTrades group one taker order's fills; their sizes are quote notional.
* once a simulated second: ``GET /orderbook?depth=1000`` of each symbol (the levels within 10 bps of its
  mid), and ``GET /admin/market`` (the model's ``fair_price``) stamped with the ``market_time`` of a
  health call just before it. The volatility goal compares the mid's realised volatility with the fair
  path's over the same instants: the stochastic-volatility model wanders by design, so the configured
  long-run ``volatility`` is reported beside it, not scored. The return lines also give the fair
  path's own figure (``fair``), so what the model does can be told from what the agents add.
* after the window, per symbol and concurrently: ``--trials`` pairs of market BUYs taking 10% then 40%
  of the ask depth within 10 bps, ``--spacing`` simulated seconds apart; the mid move runs from the last
  TICKER before the order's first trade in the TRADES stream to the first TICKER after its last one.
  Then ``--sweeps`` market orders, BUY and SELL in turn, each the size of its side's first five levels:
  the market time from the sweep until a millisecond ends with the spread within twice its median.

Not run by the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import math
import os
import sys
import tempfile
import time
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from serving import cpu_seconds  # noqa: E402

from exchangesim.client import ExchangeClient  # noqa: E402
from exchangesim.config import Config  # noqa: E402
from exchangesim.pytest_plugin import Daemon  # noqa: E402

ADMIN_TOKEN = "market-quality-bench"
API_KEY = "market-quality-bench"
YEAR_MS = 365 * 24 * 3600 * 1000  # the price models' year (exchangesim.marketdata.models.YEAR_SECONDS)
SPREAD_SAMPLE_MS = 100
NEAR = 0.001  # 10 bps
REPAIR_WAIT_MS = 5000  # market time a sweep's repair is followed for
LAG_POLL_S = 0.5
STALL_S = 20.0  # wall seconds without a new market timestamp before the run is called failed


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="simulated minutes measured")
    ap.add_argument("--speed", type=float, default=10.0, help="[market_data] speed")
    ap.add_argument("--warmup", type=float, default=30.0, help="simulated seconds before the window")
    ap.add_argument("--trials", type=int, default=10, help="impact trials per size and symbol")
    ap.add_argument("--sweeps", type=int, default=4, help="five-level sweeps per symbol")
    ap.add_argument("--spacing", type=float, default=5.0, help="simulated seconds between probe orders")
    ap.add_argument("--seed", type=int, help="[exchange] seed (default: the package's, 42)")
    return ap.parse_args()


def start_daemon(workdir: Path, args: argparse.Namespace) -> Daemon:
    """The daemon with the package's defaults but for speed, persistence, the admin token and our account."""
    lines = [
        "[server]",
        f"admin_token = {ADMIN_TOKEN}",
        "[market_data]",
        f"speed = {args.speed}",
        "[persistence]",
        "enabled = false",
        "[account:bench]",
        f"api_key = {API_KEY}",
        "balances = USD:1000000000000, BTC:1000000, ETH:10000000",
    ]
    if args.seed is not None:
        lines += ["[exchange]", f"seed = {args.seed}"]
    config = workdir / "market_quality.ini"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The daemon runs this checkout's code, as this process does (not whatever the venv installed).
    path = os.pathsep.join(filter(None, (ROOT, os.environ.get("PYTHONPATH"))))
    return Daemon(workdir, ["--config", str(config)], env={**os.environ, "PYTHONPATH": path})


# -- the client's record -----------------------------------------------------------------------------
class Tape:
    """What the ``/ws`` connection received, per symbol and in arrival order (``n`` numbers every message)."""

    def __init__(self, tick_sizes: dict[str, float]) -> None:
        self.tick = tick_sizes
        # per symbol, one list per field: arrival number, ts, best bid and ask in ticks
        self.quotes: dict[str, tuple[list[int], list[int], list[int], list[int]]] = {
            symbol: ([], [], [], []) for symbol in tick_sizes
        }
        self.trades: dict[str, list[tuple[int, str, float]]] = {s: [] for s in tick_sizes}  # ts, side, quote
        self.trade_n: dict[tuple[str, str], tuple[int, int]] = {}  # (symbol, trade_id) -> (n, ts)
        self.now = 0  # the latest market ts seen
        self.n = 0
        self.seq_gaps = 0
        self.one_sided = 0
        self.failure: Exception | None = None  # what ended the recording
        self._seq: dict[tuple[str, str], int] = {}

    def add(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "SUBSCRIBED":
            return
        if kind != "MARKET_DATA":
            raise RuntimeError(f"unexpected message: {message}")
        self.n += 1
        channel, symbol, ts = message["channel"], message["symbol"], message["ts"]
        self.now = max(self.now, ts)
        last = self._seq.get((channel, symbol))
        self.seq_gaps += last is not None and message["seq"] != last + (not message.get("snapshot"))
        self._seq[channel, symbol] = message["seq"]
        if channel == "TICKER":
            bid, ask = message["best_bid"], message["best_ask"]
            if bid is None or ask is None:
                self.one_sided += 1
                return
            tick, (numbers, times, bids, asks) = self.tick[symbol], self.quotes[symbol]
            numbers.append(self.n)
            times.append(ts)
            bids.append(round(float(bid) / tick))
            asks.append(round(float(ask) / tick))
        elif channel == "TRADES":
            self.trades[symbol].append(
                (ts, message["side"], float(message["price"]) * float(message["quantity"]))
            )
            self.trade_n[symbol, message["trade_id"]] = (self.n, ts)

    def quote_at(self, symbol: str, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best bid and ask (ticks) as of each market time in ``ts``: the last TICKER at or before it."""
        _, times, bids, asks = self.quotes[symbol]
        index = np.searchsorted(np.asarray(times), ts, side="right") - 1
        if index.min() < 0:
            raise RuntimeError(f"no {symbol} quote before {ts.min()}")
        return np.asarray(bids)[index], np.asarray(asks)[index]


async def record(ws: aiohttp.ClientWebSocketResponse, tape: Tape) -> None:
    """Put every message of ``ws`` on ``tape``; what ends it is kept for ``reach`` to raise."""
    try:
        async for frame in ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"the WebSocket ended: {frame.type} {frame.data!r}")
            message = json.loads(frame.data)
            for item in message["messages"] if message.get("type") == "BATCH" else (message,):
                tape.add(item)
        raise RuntimeError("the daemon closed the WebSocket")
    except Exception as error:
        tape.failure = error
        raise


async def reach(tape: Tape, ts: int) -> None:
    """Wait until the stream has shown market time ``ts``."""
    seen, since = tape.now, time.monotonic()
    while tape.now < ts:
        if tape.failure is not None:
            raise tape.failure
        await asyncio.sleep(0.005)
        if tape.now != seen:
            seen, since = tape.now, time.monotonic()
        elif time.monotonic() - since > STALL_S:
            raise RuntimeError(f"no market data for {STALL_S:g} s")


# -- the window ----------------------------------------------------------------------------------------
class Depth:
    """Per-sample figures of one symbol's book within 10 bps of its mid (both sides)."""

    BANDS_BPS = (1, 2, 5, 10)

    def __init__(self) -> None:
        self.levels: list[int] = []  # per sample, the smaller side's occupied levels
        self.alike = self.pairs = 0  # neighbouring levels whose sizes are within 1% of each other
        self.cumulative: list[list[float]] = []  # per sample and side, quote notional within each band

    def add(self, book: dict[str, Any]) -> None:
        bids = [(float(p), float(q)) for p, q in book["bids"]]
        asks = [(float(p), float(q)) for p, q in book["asks"]]
        mid = (bids[0][0] + asks[0][0]) / 2
        counts = []
        for levels in (bids, asks):
            near = [(p, q) for p, q in levels if abs(p - mid) <= mid * NEAR]
            counts.append(len(near))
            sizes = [q for _, q in near]
            self.pairs += max(len(sizes) - 1, 0)
            self.alike += sum(abs(a - b) <= 0.01 * max(a, b) for a, b in itertools.pairwise(sizes))
            distance = np.array([abs(p - mid) / mid * 1e4 for p, _ in near])
            notional = np.array([p * q for p, q in near])
            self.cumulative.append([float(notional[distance <= band].sum()) for band in self.BANDS_BPS])
        self.levels.append(min(counts))


async def sample(
    client: ExchangeClient, session: aiohttp.ClientSession, tape: Tape, start: int, end: int
) -> tuple[dict[str, Depth], list[tuple[int, dict[str, float]]]]:
    """Once a simulated second from ``start`` to ``end``: every symbol's book, and the fair prices."""
    depth = {symbol: Depth() for symbol in tape.tick}
    fair: list[tuple[int, dict[str, float]]] = []

    async def fair_prices() -> None:
        health = await client.get_health()
        async with session.get("/api/v1/admin/market", headers={"X-Admin-Token": ADMIN_TOKEN}) as response:
            response.raise_for_status()
            markets = (await response.json())["markets"]
        fair.append((health["market_time"], {m["symbol"]: float(m["fair_price"]) for m in markets}))

    boundary = start
    while boundary <= end:
        await reach(tape, boundary)
        symbols = list(tape.tick)
        books = await asyncio.gather(*(client.get_orderbook(s, 1000) for s in symbols), fair_prices())
        for symbol, book in zip(symbols, books, strict=False):  # the fair prices come last
            depth[symbol].add(book)
        boundary = max(boundary + 1000, tape.now // 1000 * 1000 + 1000)  # a slow poll skips, never bunches
    return depth, fair


def autocorrelation(x: np.ndarray, lag: int) -> float:
    x = x - x.mean()
    return float((x[:-lag] * x[lag:]).sum() / (x * x).sum())


def excess_kurtosis(x: np.ndarray) -> float:
    x = x - x.mean()
    return float((x**4).mean() / (x**2).mean() ** 2 - 3)


def log_mids(tape: Tape, symbol: str, ts: np.ndarray) -> np.ndarray:
    bids, asks = tape.quote_at(symbol, ts)
    return np.log((bids + asks) / 2)


def realised_volatility(log_prices: np.ndarray, span_ms: float) -> float:
    """Annualised: the sum of squared log returns over the span, whatever the spacing of the samples."""
    return math.sqrt(float((np.diff(log_prices) ** 2).sum()) * YEAR_MS / span_ms)


def window_metrics(
    tape: Tape, symbol: str, start: int, end: int, depth: Depth, fair: list[tuple[int, dict[str, float]]]
) -> tuple[list[dict[str, Any]], float]:
    """The metric lines of one symbol over the window, and its median spread in ticks."""
    spread_lines, median = spread_metrics(tape, symbol, start, end)
    lines = [
        *spread_lines,
        *depth_metrics(symbol, depth),
        *flow_metrics(tape, symbol, start, end),
        *return_metrics(tape, symbol, start, end, fair),
    ]
    return lines, median


def spread_metrics(tape: Tape, symbol: str, start: int, end: int) -> tuple[list[dict[str, Any]], float]:
    bids, asks = tape.quote_at(symbol, np.arange(start, end + 1, SPREAD_SAMPLE_MS))
    spread = asks - bids
    median, p90 = float(np.median(spread)), float(np.percentile(spread, 90))
    lines = [
        metric("spread_median_ticks", symbol, median, "1 to 2 ticks", 1 <= median <= 2),
        metric("spread_p90_ticks", symbol, p90, "> the median: it widens after sweeps", p90 > median),
    ]
    return lines, median


def depth_metrics(symbol: str, depth: Depth) -> list[dict[str, Any]]:
    levels = np.array(depth.levels)
    alike = depth.alike / depth.pairs
    cumulative = np.array(depth.cumulative)
    inner, outer = cumulative[:, 2], cumulative[:, 3] - cumulative[:, 2]
    growth = float(np.median(outer[inner > 0] / inner[inner > 0]))
    bands = zip(Depth.BANDS_BPS, np.median(cumulative, axis=0), strict=True)
    return [
        metric(
            "levels_within_10bps",
            symbol,
            float(np.median(levels)),
            ">= 50 occupied levels a side (median over samples of the thinner side)",
            np.median(levels) >= 50,
            p5=float(np.percentile(levels, 5)),
            min=int(levels.min()),
            samples=len(levels),
        ),
        metric(
            "neighbour_sizes_within_1pct", symbol, alike, "< 0.5 of neighbouring level pairs", alike < 0.5
        ),
        metric(
            "depth_5_10bps_over_0_5bps",
            symbol,
            growth,
            ">= 1: cumulative depth grows with distance (as much in the outer 5 bps as in the inner)",
            growth >= 1,
            cumulative_quote_median={f"{band}bps": round(float(quote)) for band, quote in bands},
        ),
    ]


def flow_metrics(tape: Tape, symbol: str, start: int, end: int) -> list[dict[str, Any]]:
    takers: dict[tuple[int, str], float] = {}  # (ts, side) -> quote notional: one taker order each
    for ts, side, quote in tape.trades[symbol]:
        if start <= ts < end:
            takers[ts, side] = takers.get((ts, side), 0.0) + quote
    counts = np.bincount([(ts - start) // 1000 for ts, _ in takers], minlength=(end - start) // 1000)
    vmr = float(counts.var() / counts.mean())
    sizes = np.array(list(takers.values()))
    tail = float(np.percentile(sizes, 99) / np.median(sizes))
    return [
        metric(
            "taker_count_vmr_1s", symbol, vmr, "> 1.5: orders come in bursts", vmr > 1.5, orders=len(takers)
        ),
        metric(
            "taker_size_p99_over_median",
            symbol,
            tail,
            ">= 20 (quote notional)",
            tail >= 20,
            median_quote=round(float(np.median(sizes)), 2),
        ),
    ]


def return_metrics(
    tape: Tape, symbol: str, start: int, end: int, fair: list[tuple[int, dict[str, float]]]
) -> list[dict[str, Any]]:
    """1 s mid returns, and the fair price path polled over the same window (about once a second) for
    telling what the agents add from what the model does."""
    log_mid = log_mids(tape, symbol, np.arange(start, end + 1, 1000))
    returns = np.diff(log_mid)
    # One storm's moves split across a second boundary or not sway the lag-1 figure: the mean over
    # grids shifted by 0.1 s steps shows how much of it is the grid's phase.
    shifted = [
        autocorrelation(np.diff(log_mids(tape, symbol, np.arange(start + shift, end, 1000))), 1)
        for shift in range(0, 1000, 100)
    ]
    times = np.array([ts for ts, _ in fair])
    inside = (times >= start) & (times <= end)
    times = times[inside]
    log_fair = np.log(np.array([prices[symbol] for _, prices in fair]))[inside]
    fair_returns = np.diff(log_fair)
    kurtosis, lag1 = excess_kurtosis(returns), autocorrelation(returns, 1)
    clustering = [autocorrelation(np.abs(returns), lag) for lag in range(1, 11)]
    span = float(times[-1] - times[0])
    mid_vol = realised_volatility(log_mids(tape, symbol, times), span)
    fair_vol = realised_volatility(log_fair, span)
    configured = Config().market_data.volatility
    whole = realised_volatility(log_mid, float(end - start))
    fair_kurtosis = round(excess_kurtosis(fair_returns), 3)
    return [
        metric(
            "return_excess_kurtosis_1s",
            symbol,
            kurtosis,
            "> 3: heavy tails",
            kurtosis > 3,
            fair=fair_kurtosis,
        ),
        metric(
            "return_autocorr_lag1",
            symbol,
            lag1,
            "within +-0.1",
            abs(lag1) <= 0.1,
            fair=round(autocorrelation(fair_returns, 1), 3),
            mean_over_grid_phases=round(float(np.mean(shifted)), 3),
        ),
        metric(
            "abs_return_autocorr_min_lag1_10",
            symbol,
            min(clustering),
            "> 0.05 at every lag 1..10 s: volatility clusters",
            min(clustering) > 0.05,
            by_lag=[round(c, 3) for c in clustering],
        ),
        metric(
            "realised_vol_mid_over_fair",
            symbol,
            mid_vol / fair_vol,
            "within +-25% of the fair price path's over the same instants (the goal's yardstick)",
            0.75 <= mid_vol / fair_vol <= 1.25,
            mid=round(mid_vol, 4),
            fair=round(fair_vol, 4),
            samples=len(times),
        ),
        metric(
            "realised_vol_mid_over_configured",
            symbol,
            whole / configured,
            f"reported, not scored: against the long-run [market_data] volatility {configured}, which the"
            " stochastic-volatility model wanders from by design (the goal uses the fair path's)",
            abs(whole / configured - 1) <= 0.25,
            scored=False,
            mid_1s=round(whole, 4),
        ),
    ]


# -- the probes ----------------------------------------------------------------------------------------
async def market_order(
    trader: ExchangeClient, tape: Tape, symbol: str, side: str, quantity: Decimal
) -> tuple[int, int, int]:
    """Send a market order; the arrival index of the TICKER before its first trade, of the one after its
    last trade, and the trades' market time."""
    placed = await trader.place_order(symbol, side, "MARKET", quantity)
    ids = [fill["trade_id"] for fill in placed["fills"]]
    if not ids:
        raise RuntimeError(f"{side} {quantity} {symbol} did not trade: {placed}")
    numbers, _, _, _ = tape.quotes[symbol]
    deadline = tape.now + REPAIR_WAIT_MS
    while True:
        seen = [tape.trade_n.get((symbol, i)) for i in ids]
        if None not in seen:
            first, last = min(n for n, _ in seen), max(n for n, _ in seen)  # type: ignore[misc]
            after = bisect.bisect_right(numbers, last)
            if after < len(numbers):
                return bisect.bisect_left(numbers, first) - 1, after, max(ts for _, ts in seen)  # type: ignore[misc]
        if tape.now > deadline:
            raise RuntimeError(
                f"the trades of {side} {quantity} {symbol}, or the TICKER after them, never came"
            )
        await reach(tape, tape.now + 1)


async def impact(
    client: ExchangeClient,
    trader: ExchangeClient,
    tape: Tape,
    symbol: str,
    lot: Decimal,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Mid moves of market BUYs taking 10% and 40% of the ask depth within 10 bps, in turn."""
    _, _, bids, asks = tape.quotes[symbol]
    moves: dict[str, list[float]] = {"10%": [], "40%": []}
    for _ in range(args.trials):
        for share in moves:
            await reach(tape, tape.now + round(args.spacing * 1000))
            book = await client.get_orderbook(symbol, 1000)
            mid = (Decimal(book["bids"][0][0]) + Decimal(book["asks"][0][0])) / 2
            visible = sum(Decimal(q) for p, q in book["asks"] if Decimal(p) <= mid * (1 + Decimal(NEAR)))
            lots = (visible * Decimal(share[:-1]) / 100 / lot).to_integral_value(ROUND_FLOOR)
            before, after, _ = await market_order(trader, tape, symbol, "BUY", lots * lot)
            mid_before = bids[before] + asks[before]
            moves[share].append(((bids[after] + asks[after]) / mid_before - 1) * 1e4)
    small, large = float(np.mean(moves["10%"])), float(np.mean(moves["40%"]))
    ratio = large / small if small > 0 else None
    return metric(
        "impact_40pct_over_10pct",
        symbol,
        ratio,
        "< 3: a market BUY of 40% of the ask depth within 10 bps moves the mid less than 3x one of 10%",
        ratio is not None and ratio < 3,
        mid_move_bps={"10%": round(small, 3), "40%": round(large, 3)},
        trials=args.trials,
    )


async def resilience(
    client: ExchangeClient,
    trader: ExchangeClient,
    tape: Tape,
    symbol: str,
    median: float,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Market time from a sweep of five levels (BUY and SELL in turn) until the spread is within twice
    its median again, in the state each millisecond ends with (a requote moves one order at a time)."""
    _, _, bids, asks = tape.quotes[symbol]
    repairs: list[int | None] = []
    back: list[int | None] = []  # to the spread before the sweep, when that was wider: a storm's
    before_ticks: list[int] = []
    after_ticks: list[int] = []
    for k in range(args.sweeps):
        side, levels = ("BUY", "asks") if k % 2 == 0 else ("SELL", "bids")
        await reach(tape, tape.now + round(args.spacing * 1000))
        book = await client.get_orderbook(symbol, 5)
        quantity = sum(Decimal(q) for _, q in book[levels][:5])
        before, after, swept = await market_order(trader, tape, symbol, side, quantity)
        before_ticks.append(asks[before] - bids[before])
        after_ticks.append(asks[after] - bids[after])
        await reach(tape, swept + REPAIR_WAIT_MS)
        repairs.append(repair_ms(tape, symbol, after, swept, 2 * median))
        back.append(repair_ms(tape, symbol, after, swept, max(2 * median, before_ticks[-1])))
    worst = None if None in repairs else max(repairs)  # type: ignore[type-var]
    return metric(
        "spread_repair_ms_after_5_level_sweep",
        symbol,
        worst,
        f"<= 1000 ms of market time to a spread within 2x its median ({2 * median:g} ticks), worst sweep",
        worst is not None and worst <= 1000,
        each_ms=repairs,
        each_ms_to_spread_before=back,
        spread_before_ticks=before_ticks,
        spread_after_ticks=after_ticks,
    )


def repair_ms(tape: Tape, symbol: str, after: int, swept: int, spread: float) -> int | None:
    """Market time from ``swept`` until a millisecond ends with the spread at most ``spread`` (None: not
    within REPAIR_WAIT_MS), from the TICKER at index ``after`` on."""
    _, times, bids, asks = tape.quotes[symbol]
    for i in range(after, len(times)):
        if times[i] - swept > REPAIR_WAIT_MS:
            return None
        if asks[i] - bids[i] <= spread and (i + 1 == len(times) or times[i + 1] != times[i]):
            return times[i] - swept
    return None


class LagWatch:
    """The daemon's ``market_lag_ms`` (how far its market runs behind schedule), polled by wall clock."""

    def __init__(self, client: ExchangeClient) -> None:
        self.worst: dict[str, int] = {}
        self.phase = "warmup"
        self._client = client

    async def run(self) -> None:
        while True:
            lag = (await self._client.get_health())["market_lag_ms"]
            self.worst[self.phase] = max(self.worst.get(self.phase, 0), lag)
            await asyncio.sleep(LAG_POLL_S)


def metric(name: str, symbol: str, value: float | None, goal: str, met: Any, **detail: Any) -> dict[str, Any]:
    """One output line (``value`` None: there was nothing to measure, and the goal is not met)."""
    shown = None if value is None else round(value, 4)
    line = {"metric": name, "symbol": symbol, "value": shown, "goal": goal, "met": bool(met)}
    return {**line, **detail}


async def measure(daemon: Daemon, args: argparse.Namespace) -> dict[str, Any]:
    base = daemon.base_url
    async with (
        ExchangeClient(base) as client,
        ExchangeClient(base, api_key=API_KEY) as trader,
        aiohttp.ClientSession(base) as session,
    ):
        symbols = {s["symbol"]: s for s in (await client.get_symbols())["symbols"]}
        tape = Tape({name: float(s["tick_size"]) for name, s in symbols.items()})
        ws = await session.ws_connect("/ws", max_msg_size=0)
        recorder = asyncio.ensure_future(record(ws, tape))
        lags = LagWatch(client)
        watcher = asyncio.ensure_future(lags.run())
        try:
            for symbol in symbols:
                for channel in ("TICKER", "TRADES"):
                    await ws.send_json(
                        {"op": "subscribe", "channel": channel, "symbol": symbol, "batch": True}
                    )
            await reach(tape, 1)
            start = (tape.now + round(args.warmup * 1000)) // 1000 * 1000 + 1000
            end = start + round(args.minutes * 60_000)
            await reach(tape, start)
            lags.phase = "window"
            depth, fair = await sample(client, session, tape, start, end)
            await reach(tape, end)
            lags.phase = "probes"
            lines, medians = [], {}
            for symbol in symbols:
                figures, medians[symbol] = window_metrics(tape, symbol, start, end, depth[symbol], fair)
                lines += figures

            async def probe(symbol: str, lot: Decimal) -> list[dict[str, Any]]:
                moved = await impact(client, trader, tape, symbol, lot, args)
                return [moved, await resilience(client, trader, tape, symbol, medians[symbol], args)]

            probes = await asyncio.gather(
                *(probe(name, Decimal(s["lot_size"])) for name, s in symbols.items())
            )
            lines += [line for lines_of in probes for line in lines_of]
            if watcher.done():
                watcher.result()  # raises what ended it
        finally:
            recorder.cancel()
            watcher.cancel()
            await ws.close()
    lines.sort(key=lambda line: list(symbols).index(line["symbol"]))
    for line in lines:
        print(json.dumps(line), flush=True)
    scored = [line for line in lines if line.get("scored", True)]
    return {
        "summary": True,
        "met": sum(line["met"] for line in scored),
        "of": len(scored),
        "missed": [f"{line['symbol']} {line['metric']}" for line in scored if not line["met"]],
        "simulated_minutes": args.minutes,
        "speed": args.speed,
        "seed": args.seed if args.seed is not None else Config().exchange.seed,
        "messages": tape.n,
        "seq_gaps": tape.seq_gaps,
        "one_sided_tickers": tape.one_sided,
        "book_samples": len(next(iter(depth.values())).levels),
        "max_market_lag_ms": lags.worst,
    }


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="exchangesim-quality-") as workdir:
        daemon = start_daemon(Path(workdir), args)
        try:
            summary = asyncio.run(measure(daemon, args))
            summary["daemon_cpu_s"] = round(cpu_seconds(daemon.process.pid), 1)
        finally:
            code = daemon.stop()
    summary["wall_s"] = round(time.perf_counter() - started, 1)
    summary["daemon_exit"] = code
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
