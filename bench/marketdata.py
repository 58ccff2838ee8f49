#!/usr/bin/env python3
"""Market data: offline price-path generation per model, and tick lag of the live daemon under WS load.

Prints one JSON line per price model (``"part": "paths"``), then one for the live run (``"part": "live"``):

    python bench/marketdata.py                          # both parts: 10**7 ticks a model, 10 s live
    python bench/marketdata.py --part paths --ticks 1000000
    python bench/marketdata.py --part live --seconds 5 --clients 50
    python bench/marketdata.py --part live --no-batch   # per-message frames instead of BATCH frames
    python bench/marketdata.py --part live --profile /tmp/md.prof   # cProfile the server (slows it down)

* ``paths``: every registered price model (``exchangesim.marketdata.registry``; ``csv`` replays a
  temporary file of ``REPLAY_ROWS`` rows, jump_diffusion jumps 100 times a year) is built from
  ``ModelSettings`` with 1 ms ticks and its symbol's ``rng_for`` Generator; after a warm-up call,
  ``path(--ticks)`` is timed ``--repeat`` times and the best rate is reported. ``target_met`` says
  whether it reached 10M ticks/s, for the models DESIGN §10.12 holds to it (gbm, random_walk,
  geometric_walk, jump_diffusion); null for the others.
* ``live``: a subprocess runs the daemon's own services (``ExchangeService``) on a loopback port with
  ``--symbols`` symbols ticking every ``--tick-ms`` and the liquidity agents on (the defaults), while
  another runs ``--clients`` WebSocket clients on ``/ws``, each subscribed to TICKER and BOOK of every
  symbol (with ``"batch": true`` unless ``--no-batch``).

Live figures, over a ``--seconds`` window that opens ``--warmup`` seconds after every client has its
subscriptions confirmed:

* ``tick_lag_ms``: how late each tick ran, over every tick of every symbol: the reactor's clock as the
  tick's action starts, minus ``MarketClock.wall_seconds_at(ts)``, the wall time its market time
  ``ts`` fell due. The schedule runs each tick on its own at its own time, so a turn that catches up
  k ticks measures each when it runs (a later one also waits for the earlier ones). The library has
  no hook for this, so the server wraps each market's ``Timer.action``.
  ``target_met`` is DESIGN §9's p99 < 5 ms. ``action_ms`` is the time in one tick's action (the
  model's step, agents, engine commands, and the stream messages they queue: outboxes write in
  later reactor turns).
* ``ticks_per_s`` counts ticks run (all symbols; ``symbols * 1000 / tick_ms`` when on time).
  ``turns_per_s`` counts the schedule's reactor calls (the probe also wraps the schedule's private
  ``_run``), ``turn_ms`` times them and ``max_ticks_per_turn`` is the most ticks one of them ran.
* ``messages_per_s``: stream messages the clients received (each message of a BATCH frame counts);
  the first ``--check-clients`` clients parse every message and count breaks in each stream's
  contiguous ``seq`` (``seq_gaps``, which must be 0); ``closed`` counts clients the server closed.
* ``server_cpu_busy``, ``client_cpu_busy``: each process's CPU time over the window (from /proc).

The clients speak just enough RFC 6455 on asyncio (as ``bench/ws.py`` does, for the same reason: the
load process shares the machine with the server and must take as little CPU as it can). Everything
runs on 127.0.0.1, and every process stops by itself within a bound of the run's length.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
from twisted.internet import task
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorCore, IReactorTime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from serving import StdinControl, cpu_seconds, fresh_data_dir, log_warnings_only, serve_until_stdin_closes  # noqa: E402
from wsload import READY_TIMEOUT_S, run_load, symbol_names  # noqa: E402

from exchangesim.config import PRESETS, Config, ConfigError, SymbolConfig, seal  # noqa: E402
from exchangesim.config_checks import check_config  # noqa: E402
from exchangesim.marketdata.clock import MarketClock  # noqa: E402
from exchangesim.marketdata.models import ModelSettings, rng_for  # noqa: E402
from exchangesim.marketdata.registry import model_class, model_names  # noqa: E402
from exchangesim.marketdata.schedule import MarketSchedule, Timer  # noqa: E402
from exchangesim.service import ExchangeService  # noqa: E402

TICKS_PER_S_TARGET = 10_000_000  # DESIGN §9 / §10.12, for the vectorizable models
VECTORIZED = ("gbm", "random_walk", "geometric_walk", "jump_diffusion")
TICK_LAG_P99_TARGET_MS = 5.0
REPLAY_ROWS = 100_000
SEED = 42
INITIAL_PRICE = "100.00"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("paths", "live", "all"), default="all", help="what to measure")
    ap.add_argument("--ticks", type=int, default=10**7, help="ticks per timed path() call")
    ap.add_argument("--repeat", type=int, default=3, help="timed path() calls per model; the best counts")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the live measured window")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds between readiness and the window")
    ap.add_argument("--clients", type=int, default=100, help="WebSocket clients")
    ap.add_argument("--symbols", type=int, default=10, help="symbols, each a TICKER and a BOOK per client")
    ap.add_argument("--tick-ms", type=int, default=1, help="[exchange] tick_interval_ms of the live run")
    ap.add_argument(
        "--preset", choices=tuple(PRESETS), default="liquid", help="[liquidity] preset of the live run"
    )
    ap.add_argument(
        "--batch", action=argparse.BooleanOptionalAction, default=True, help="subscribe with batch: true"
    )
    ap.add_argument("--check-clients", type=int, default=4, help="clients that check every seq")
    ap.add_argument("--profile", metavar="FILE", help="cProfile the live server process into FILE")
    # Internal: how this script starts its own server and load processes.
    ap.add_argument("--role", choices=("run", "serve", "load"), default="run", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return ap.parse_args()


# -- offline path generation ------------------------------------------------------------------------
def write_replay_file(path: str, rows: int) -> None:
    """A CSV recording for the csv model: ``rows`` prices one millisecond apart, a geometric walk."""
    times = 1_700_000_000_000 + np.arange(rows)
    prices = 100.0 * np.exp(np.cumsum(np.random.default_rng(SEED).normal(0.0, 1e-4, rows)))
    np.savetxt(
        path,
        np.column_stack((times, prices)),
        fmt=("%d", "%.6f"),
        delimiter=",",
        header="timestamp,price",
        comments="",
    )


def path_rates(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """Time ``path(--ticks)`` of every registered model; one JSON-ready line each."""
    with tempfile.TemporaryDirectory() as directory:
        replay_file = os.path.join(directory, "replay.csv")
        write_replay_file(replay_file, REPLAY_ROWS)
        settings = ModelSettings(
            initial_price=float(INITIAL_PRICE),
            tick_seconds=0.001,
            tick_size=0.01,
            jump_rate=100.0,  # a year's worth, so jump_diffusion draws its jumps (0 would be GBM's path)
            jump_mean=-0.01,
            jump_stdev=0.02,
            reversion_rate=1.0,
            replay_file=replay_file,
        )
        for name in model_names():
            model = model_class(name)(settings, rng_for(SEED, symbol_names(1)[0]))
            model.path(min(args.ticks, 100_000))  # warm-up: first blocks, caches, lazy imports
            best = 0.0
            for _ in range(args.repeat):
                started = time.perf_counter()
                model.path(args.ticks)
                best = max(best, args.ticks / (time.perf_counter() - started))
            yield {
                "part": "paths",
                "model": name,
                "ticks": args.ticks,
                "ticks_per_s": round(best),
                "target_met": best >= TICKS_PER_S_TARGET if name in VECTORIZED else None,
            }


# -- the serving process ----------------------------------------------------------------------------
def live_config(symbols: list[str], tick_ms: int, preset: str = "liquid") -> Config:
    """The daemon's defaults (liquidity agents on) on an ephemeral loopback port, with ``symbols``.

    Each load client subscribes to two streams a symbol, all in one burst: the per-connection limits
    (``ws_max_subscriptions`` and ``ws_max_messages_per_second``, 100 each) would close every client
    before it subscribed past 50 symbols, so they are raised to what the bench's clients send.
    """
    config = Config()
    config.server.endpoint = "tcp:0:interface=127.0.0.1"
    streams = 2 * len(symbols)
    config.server.ws_max_subscriptions = max(config.server.ws_max_subscriptions, streams)
    config.server.ws_max_messages_per_second = max(config.server.ws_max_messages_per_second, streams)
    config.exchange.symbols = symbols
    config.exchange.tick_interval_ms = tick_ms
    config.liquidity.preset = preset
    fresh_data_dir(config)
    config.symbols = {symbol: SymbolConfig(initial_price=Decimal(INITIAL_PRICE)) for symbol in symbols}
    problems = check_config(config)
    if problems:
        raise ConfigError(problems)
    return config


def percentiles_ms(seconds: np.ndarray) -> dict[str, float | None]:
    """p50, p99 (nearest rank) and max of ``seconds``, in milliseconds."""
    if not seconds.size:
        return {"p50": None, "p99": None, "max": None}
    p50, p99 = np.quantile(seconds, (0.5, 0.99), method="inverted_cdf").tolist()
    return {
        "p50": round(p50 * 1000, 3),
        "p99": round(p99 * 1000, 3),
        "max": round(seconds.max().item() * 1000, 3),
    }


class TickProbe:
    """Wraps every market's tick action, and the schedule's turn, to record when each tick ran."""

    def __init__(self, clock: IReactorTime, schedule: MarketSchedule, timers: Iterable[Timer]) -> None:
        self._since = time.perf_counter()
        self._lags: list[float] = []  # per tick: wall clock as its action starts less the time it fell due
        self._actions: list[float] = []  # per tick: seconds in its action
        self._turns: list[float] = []  # per reactor turn of the schedule: seconds it took
        self._turn_ticks: list[int] = []  # per turn: the symbols' ticks it ran
        self._running = 0  # ticks run by the turn under way
        for timer in timers:
            self._wrap_timer(clock, schedule.market_clock, timer)
        self._wrap_turn(schedule)

    def _wrap_timer(self, clock: IReactorTime, market_clock: MarketClock, timer: Timer) -> None:
        action = timer.action
        seconds, due_at = clock.seconds, market_clock.wall_seconds_at

        def probed(ts: int) -> object:
            # The reactor's clock, the one the market clock reads: lateness in the schedule's own terms.
            self._lags.append(seconds() - due_at(ts))
            self._running += 1
            started = time.perf_counter()
            result = action(ts)
            self._actions.append(time.perf_counter() - started)
            return result

        timer.action = probed

    def _wrap_turn(self, schedule: MarketSchedule) -> None:
        # The library has no hook for a turn: the probe takes the place of the method each turn calls
        # (the schedule plans every call with ``self._run``, so the next one is the probe's).
        run = schedule._run

        def probed() -> None:
            self._running = 0
            started = time.perf_counter()
            run()
            self._turns.append(time.perf_counter() - started)
            self._turn_ticks.append(self._running)

        schedule._run = probed  # type: ignore[method-assign]

    def mark(self) -> None:
        """Open the window: forget the samples so far."""
        self._since = time.perf_counter()
        for samples in self._samples():
            samples.clear()

    def _samples(self) -> tuple[list[Any], ...]:
        return self._lags, self._actions, self._turns, self._turn_ticks

    def report(self) -> dict[str, Any]:
        """The figures of the window since ``mark`` (the reactor reads the control line between two
        turns, so a window never cuts one)."""
        turn_ticks = np.array(self._turn_ticks, dtype=np.int64)
        return {
            "seconds": time.perf_counter() - self._since,
            "ticks": len(self._lags),
            "turns": len(self._turns),
            "max_ticks_per_turn": int(turn_ticks.max()) if turn_ticks.size else 0,
            "tick_lag_ms": percentiles_ms(np.array(self._lags)),
            "action_ms": percentiles_ms(np.array(self._actions)),
            "turn_ms": percentiles_ms(np.array(self._turns)),
        }


async def serve(reactor: IReactorCore, args: argparse.Namespace) -> None:
    """Run the daemon's services with every tick probed, until stdin closes (or a bound on the run)."""
    log_warnings_only()
    service = ExchangeService(
        seal(live_config(symbol_names(args.symbols), args.tick_ms, args.preset)), reactor
    )
    service.privilegedStartService()
    service.startService()  # opens the markets: their timers exist from here on
    schedule = service.market.schedule
    assert schedule is not None
    probe = TickProbe(
        reactor, schedule, (market.timer for market in service.market.markets.values() if market.timer)
    )
    port = (await service.web.listening).getHost().port

    def answer(line: bytes) -> dict[str, Any] | None:
        if line == b"mark":
            probe.mark()
        elif line == b"report":
            return probe.report()
        return None

    try:
        bound = READY_TIMEOUT_S + args.warmup + args.seconds + 60
        await serve_until_stdin_closes(reactor, port, StdinControl(answer), bound)
    finally:
        await service.stopService()


# -- the load process -------------------------------------------------------------------------------
async def load(args: argparse.Namespace) -> None:
    """Subscribe every client to TICKER and BOOK of every symbol and count what arrives."""
    operations = [
        json.dumps({"op": "subscribe", "channel": channel, "symbol": symbol, "batch": args.batch}).encode()
        for symbol in symbol_names(args.symbols)
        for channel in ("TICKER", "BOOK")
    ]
    await run_load(args.port, operations, args.clients, args.check_clients, args.warmup, args.seconds)


# -- the live run -----------------------------------------------------------------------------------
def wait_or_kill(process: subprocess.Popen[str]) -> None:
    """Give ``process`` ten seconds to end on its own, then kill it."""
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def live(args: argparse.Namespace) -> dict[str, Any]:
    """Start the server process, run the load process against it, and combine their figures."""
    options = {
        "--symbols": args.symbols,
        "--clients": args.clients,
        "--seconds": args.seconds,
        "--warmup": args.warmup,
        "--tick-ms": args.tick_ms,
        "--preset": args.preset,
        "--check-clients": args.check_clients,
    }
    common = [
        os.path.abspath(__file__),
        *(str(item) for option in options.items() for item in option),
        "--batch" if args.batch else "--no-batch",
    ]
    profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
    server = subprocess.Popen(
        [sys.executable, *profile, *common, "--role", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    client = None
    try:
        ready = server.stdout.readline().split()
        if ready[:1] != ["port"]:
            raise RuntimeError("the server did not start")
        client = subprocess.Popen(
            [sys.executable, *common, "--role", "load", "--port", ready[1]], stdout=subprocess.PIPE, text=True
        )
        assert client.stdout is not None
        marks: list[
            tuple[float, float, float]
        ] = []  # (wall, server CPU, client CPU) as the window opens, closes
        served = figures = None
        for line in client.stdout:
            if line == "mark\n":
                marks.append((time.perf_counter(), cpu_seconds(server.pid), cpu_seconds(client.pid)))
                server.stdin.write("mark\n" if len(marks) == 1 else "report\n")
                server.stdin.flush()
                if len(marks) == 2:
                    served = json.loads(server.stdout.readline())
            else:
                figures = json.loads(line)
        if client.wait() != 0 or figures is None or served is None:
            raise RuntimeError("the load process failed")
    finally:
        if client is not None and client.poll() is None:
            client.kill()
            client.wait()
        server.stdin.close()  # end of input stops the server
        wait_or_kill(server)
    (wall0, server0, client0), (wall1, server1, client1) = marks
    p99 = served["tick_lag_ms"]["p99"]
    return {
        "part": "live",
        "symbols": args.symbols,
        "tick_ms": args.tick_ms,
        "clients": args.clients,
        "batch": args.batch,
        "seconds": round(served["seconds"], 2),
        "tick_lag_ms": served["tick_lag_ms"],
        "action_ms": served["action_ms"],
        "turn_ms": served["turn_ms"],
        "ticks_per_s": round(served["ticks"] / served["seconds"]),
        "turns_per_s": round(served["turns"] / served["seconds"]),
        "max_ticks_per_turn": served["max_ticks_per_turn"],
        "messages_per_s": round(figures["updates"] / figures["wall"]),
        "frames_per_s": round(figures["frames"] / figures["wall"]),
        **{key: figures[key] for key in ("seq_checked", "seq_gaps", "closed")},
        "server_cpu_busy": round((server1 - server0) / (wall1 - wall0), 3),
        "client_cpu_busy": round((client1 - client0) / (wall1 - wall0), 3),
        "target_met": p99 is not None and p99 < TICK_LAG_P99_TARGET_MS,
    }


def main() -> None:
    args = parse_args()
    if args.role == "serve":
        task.react(lambda reactor: Deferred.fromCoroutine(serve(reactor, args)))
    elif args.role == "load":
        asyncio.run(load(args))
    else:
        if args.part in ("paths", "all"):
            for line in path_rates(args):
                print(json.dumps(line), flush=True)
        if args.part in ("live", "all"):
            print(json.dumps(live(args)), flush=True)


if __name__ == "__main__":
    main()
