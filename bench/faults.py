#!/usr/bin/env python3
"""What idle faults cost: REST and WS throughput with no faults, faults disabled, and faults at p=0.

All three in one run, against DESIGN §9's targets: <= 5% overhead with ``[failures] enabled = false``,
<= 15% with the faults enabled at probability 0.

    python bench/faults.py                   # 7 rounds of 1.5 s windows per layer and variant, ~3 min
    python bench/faults.py --quick           # 3 rounds of 1 s windows, ~1 min
    python bench/faults.py --layers rest     # one layer (rest, ws_batched, ws_unbatched)
    python bench/faults.py --profile DIR     # cProfile each daemon into DIR/VARIANT.prof

Three daemons run side by side, one per variant:

* ``no_faults``: no ``[failure:NAME]`` section, the baseline of every overhead;
* ``faults_disabled``: the four faults below configured, ``[failures] enabled = false``;
* ``faults_enabled_p0``: the same faults with ``enabled = true``: each is consulted on every request,
  message or chunk of bytes it targets, and never fires.

    [failure:rest-pre]            [failure:rest-post]           [failure:ws-book]   [failure:tcp-delay]
    mode = drop                   mode = drop                   mode = drop         mode = delay
    layer = rest                  layer = rest                  layer = ws          layer = tcp
    stage = pre_engine            stage = post_engine           channel = BOOK      base_ms = 50
    route = POST /api/v1/orders   route = POST /api/v1/orders   direction = out     probability = 0
    probability = 0               probability = 0               probability = 0

The layers reuse the other benchmarks' code. ``rest``: ``rest.py``'s load, ``--connections``
keep-alive connections placing BTC/USD limit orders, every other one crossing. ``ws_batched`` and
``ws_unbatched``: ``ws.py``'s market (its ``BookDriver`` places or cancels one resting order per symbol
on every reactor turn; the liquidity agents are off) streamed to ``--clients`` ``wsload`` clients
subscribed to BOOK of ``--symbols`` symbols, with ``"batch": true``, or one frame per message (the
default mode). The load runs in this process, the daemons each in their own. A daemon is paused (its
price models and driver stopped) while another is measured; each round measures every variant on
every layer, in an order that rotates from round to round, so a busy machine's drift hits them alike.

Prints one JSON line per layer and variant, then a ``verdict`` line. Overheads are medians over rounds
of the ratio to ``no_faults`` in the same round, with the quartiles of the rounds' figures
(``overhead_iqr_pct``). ``overhead_pct``, the one checked against the target, is the throughput lost
per second of the daemon's CPU, 100 x (1 - the ratio of requests or updates per server CPU second):
when other work on this shared 2-core machine takes part of the server's core, the wall clock counts
it and the server's CPU time does not. ``wall_overhead_pct`` is the same by the wall clock. With
``enabled = false`` no fault is chained anywhere, so ``faults_disabled`` runs the very code
``no_faults`` runs: the spread of its rounds (10-20% here, for identical code) is the noise floor, and
a median within a few percent of 0 is all one run can show.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from rest import SERVE_BOUND_S, Load, summarise  # noqa: E402
from rest import measure as load_rest  # noqa: E402
from serving import (  # noqa: E402
    StdinControl,
    cpu_seconds,
    log_warnings_only,
    serve_until_stdin_closes,
    start_server,
    stop_server,
)
from wsload import READY_TIMEOUT_S, CountingClient, SeqChecker, symbol_names, totals  # noqa: E402

HOST = "127.0.0.1"
BASELINE = "no_faults"
VARIANTS = (BASELINE, "faults_disabled", "faults_enabled_p0")
TARGET_PCT = {"faults_disabled": 5.0, "faults_enabled_p0": 15.0}  # most overhead allowed (DESIGN §9)
TARGETS = {
    "faults_disabled": "<= 5%: faults configured, [failures] enabled = false",
    "faults_enabled_p0": "<= 15%: faults enabled at probability 0",
}
LAYERS = ("rest", "ws_batched", "ws_unbatched")
REST_SYMBOL = "BTC/USD"  # rest.py's orders are for this symbol
FAULTS = {
    "rest-pre": {
        "mode": "drop",
        "layer": "rest",
        "stage": "pre_engine",
        "route": "POST /api/v1/orders",
        "probability": "0",
    },
    "rest-post": {
        "mode": "drop",
        "layer": "rest",
        "stage": "post_engine",
        "route": "POST /api/v1/orders",
        "probability": "0",
    },
    "ws-book": {"mode": "drop", "layer": "ws", "channel": "BOOK", "direction": "out", "probability": "0"},
    "tcp-delay": {"mode": "delay", "layer": "tcp", "base_ms": "50", "probability": "0"},
}
"""The faults of the two faulted variants, with values as an INI file gives them."""


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="rounds over the variants; medians are reported")
    ap.add_argument(
        "--seconds", type=float, default=1.5, help="measured seconds per variant, layer and round"
    )
    ap.add_argument("--warmup", type=float, default=0.5, help="seconds of load before each window")
    ap.add_argument("--connections", type=int, default=32, help="REST keep-alive connections")
    ap.add_argument("--clients", type=int, default=100, help="WebSocket clients")
    ap.add_argument(
        "--symbols", type=int, default=10, help="symbols streamed, each one BOOK stream per client"
    )
    ap.add_argument("--check-clients", type=int, default=4, help="WebSocket clients that check every seq")
    ap.add_argument("--layers", nargs="+", choices=LAYERS, default=list(LAYERS), help="what to measure")
    ap.add_argument("--quick", action="store_true", help="3 rounds of 1 s windows after 0.4 s of warm-up")
    ap.add_argument("--profile", metavar="DIR", help="cProfile each server process into DIR/VARIANT.prof")
    ap.add_argument("--serve", choices=VARIANTS, help=argparse.SUPPRESS)  # internal: one daemon
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.warmup = 3, 1.0, 0.4
    return args


# -- the daemons (one subprocess per variant) -------------------------------------------------------
def bench_config(variant: str, symbols: list[str]) -> Any:
    """ws.py's configuration (``symbols`` streamed, agents off) plus rest.py's symbol, and the faults."""
    from ws import exchangesim_config

    from exchangesim.config import SymbolConfig

    config = exchangesim_config([*symbols, REST_SYMBOL])
    config.symbols[REST_SYMBOL] = SymbolConfig(initial_price=Decimal("50000.00"))
    if variant != BASELINE:
        config.faults = {name: dict(keys) for name, keys in FAULTS.items()}
        config.failures.enabled = variant == "faults_enabled_p0"
    return config


def serve(args: argparse.Namespace) -> None:
    from twisted.internet import task
    from twisted.internet.defer import Deferred

    task.react(lambda reactor: Deferred.fromCoroutine(_serve(reactor, args)))


async def _serve(reactor: Any, args: argparse.Namespace) -> None:
    """Serve one variant, paused until the parent says which layer it measures (``rest``, ``ws``)."""
    from twisted.internet.task import LoopingCall
    from ws import BookDriver

    from exchangesim.config import ConfigError, seal
    from exchangesim.config_checks import check_config
    from exchangesim.service import ExchangeService

    log_warnings_only()
    symbols = symbol_names(args.symbols)
    config = bench_config(args.serve, symbols)
    problems = check_config(config)
    if problems:
        raise ConfigError(problems)
    service = ExchangeService(seal(config), reactor)
    service.privilegedStartService()
    service.startService()
    port = (await service.web.listening).getHost().port
    market = service.market
    market.stopService()
    driver = BookDriver(service.venue, symbols)
    ticking = LoopingCall(driver.tick)
    ticking.clock = reactor

    def answer(line: bytes) -> dict[str, Any]:
        if ticking.running:
            ticking.stop()
        if market.running:
            market.stopService()
        if line in (b"rest", b"ws"):
            market.startService()
        if line == b"ws":
            ticking.start(0).addErrback(control.finish)  # every reactor turn, as ws.py does
        return {"state": line.decode(), "driver_ticks": driver.ticks}

    control = StdinControl(answer)
    try:
        await serve_until_stdin_closes(reactor, port, control, SERVE_BOUND_S)
    finally:
        if ticking.running:
            ticking.stop()
        await service.stopService()


class Daemon:
    """A variant's server process, as the parent sees it: its port, pid, and the control line."""

    def __init__(self, variant: str, process: asyncio.subprocess.Process, port: int) -> None:
        self.variant = variant
        self.process = process
        self.pid = process.pid
        self.port = port

    @classmethod
    async def start(cls, variant: str, args: argparse.Namespace) -> Daemon:
        profile = (
            ["-m", "cProfile", "-o", os.path.join(args.profile, f"{variant}.prof")] if args.profile else []
        )
        argv = [*profile, os.path.abspath(__file__), "--serve", variant, "--symbols", str(args.symbols)]
        return cls(variant, *await start_server(argv))

    async def command(self, word: str) -> dict[str, Any]:
        """Pause the daemon, or set it going for one layer (``rest``, ``ws``); returns its answer."""
        self.process.stdin.write(word.encode() + b"\n")
        await self.process.stdin.drain()
        return json.loads(await asyncio.wait_for(self.process.stdout.readline(), timeout=30))

    async def stop(self) -> None:
        await stop_server(self.process)


# -- one measured window per layer ------------------------------------------------------------------
async def measure_rest(daemon: Daemon, args: argparse.Namespace) -> Load:
    await daemon.command("rest")
    try:
        return await load_rest(daemon.port, daemon.pid, args)
    finally:
        await daemon.command("pause")


async def measure_ws(daemon: Daemon, args: argparse.Namespace, batch: bool) -> dict[str, Any]:
    """Connect and subscribe the clients, count what arrives over the window, and close them."""
    loop = asyncio.get_running_loop()
    operations = [
        json.dumps({"op": "subscribe", "channel": "BOOK", "symbol": symbol, "batch": batch}).encode()
        for symbol in symbol_names(args.symbols)
    ]
    clients: list[CountingClient] = []
    await daemon.command("ws")
    try:
        for index in range(args.clients):
            checker = SeqChecker() if index < args.check_clients else None
            _, client = await loop.create_connection(
                lambda checker=checker: CountingClient(daemon.port, operations, checker), HOST, daemon.port
            )
            clients.append(client)
        await asyncio.wait_for(asyncio.gather(*(client.subscribed for client in clients)), READY_TIMEOUT_S)
        await asyncio.sleep(args.warmup)
        updates0, frames0, wall0, cpu0 = totals(clients)
        server0 = cpu_seconds(daemon.pid)
        await asyncio.sleep(args.seconds)
        updates1, frames1, wall1, cpu1 = totals(clients)
        server_cpu = cpu_seconds(daemon.pid) - server0
    finally:
        for client in clients:
            client.close()
        await daemon.command("pause")
    checkers = [client.checker for client in clients if client.checker is not None]
    wall = wall1 - wall0
    return {
        "updates": updates1 - updates0,
        "frames": frames1 - frames0,
        "wall": wall,
        "server_cpu": server_cpu,
        "client_cpu": cpu1 - cpu0,
        "seq_checked": sum(checker.checked for checker in checkers),
        "seq_gaps": sum(checker.gaps for checker in checkers),
        "closed": sum(client.close_code is not None for client in clients),
    }


# -- the figures ------------------------------------------------------------------------------------
def served(units: int, wall: float, server_cpu: float) -> dict[str, float]:
    """One window's throughput by the wall clock and per second of the server's CPU."""
    return {"per_s": units / wall, "per_cpu_s": units / server_cpu}


def rest_window(load: Load, args: argparse.Namespace) -> dict[str, float]:
    return served(len(load.latencies), args.seconds, load.server_cpu)


def ws_window(window: dict[str, Any]) -> dict[str, float]:
    return served(window["updates"], window["wall"], window["server_cpu"])


def compare(windows: list[dict[str, float]], base: list[dict[str, float]]) -> dict[str, Any]:
    """A variant's overhead against the baseline: medians over rounds of the ratios within a round."""

    def lost(key: str) -> list[float]:
        return [100 * (1 - mine[key] / theirs[key]) for mine, theirs in zip(windows, base, strict=True)]

    per_cpu, per_s = lost("per_cpu_s"), lost("per_s")
    quartiles = statistics.quantiles(per_cpu, n=4) if len(per_cpu) > 1 else per_cpu * 3
    return {
        "overhead_pct": round(statistics.median(per_cpu), 1),
        "overhead_iqr_pct": [round(quartiles[0], 1), round(quartiles[2], 1)],
        "runs_overhead_pct": [round(pct, 1) for pct in per_cpu],
        "wall_overhead_pct": round(statistics.median(per_s), 1),
        "runs_wall_overhead_pct": [round(pct, 1) for pct in per_s],
    }


def rest_lines(runs: dict[str, list[Load]], args: argparse.Namespace) -> list[dict[str, Any]]:
    windows = {variant: [rest_window(load, args) for load in loads] for variant, loads in runs.items()}
    lines = []
    for variant, loads in runs.items():
        line = {"layer": "rest", "variant": variant, **summarise(variant, loads, args)}
        del line["target"]
        line["runs_req_per_server_cpu_s"] = [round(window["per_cpu_s"]) for window in windows[variant]]
        if variant != BASELINE:
            line.update(compare(windows[variant], windows[BASELINE]))
        lines.append(line)
    return lines


def ws_lines(
    layer: str, runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace
) -> list[dict[str, Any]]:
    measured = {variant: [ws_window(window) for window in windows] for variant, windows in runs.items()}
    lines = []
    for variant, windows in runs.items():
        wall, updates = sum(w["wall"] for w in windows), sum(w["updates"] for w in windows)
        server_cpu = sum(w["server_cpu"] for w in windows)
        line: dict[str, Any] = {
            "layer": layer,
            "variant": variant,
            "clients": args.clients,
            "symbols": args.symbols,
            "updates_per_s": round(updates / wall),
            "runs_updates_per_s": [round(window["per_s"]) for window in measured[variant]],
            "updates_per_server_cpu_s": round(updates / server_cpu),
            "runs_updates_per_server_cpu_s": [round(window["per_cpu_s"]) for window in measured[variant]],
            "updates_per_frame": round(updates / max(sum(w["frames"] for w in windows), 1), 2),
            "server_cpu_busy": round(server_cpu / wall, 3),
            "client_cpu_busy": round(sum(w["client_cpu"] for w in windows) / wall, 3),
            **{key: sum(w[key] for w in windows) for key in ("seq_checked", "seq_gaps", "closed")},
        }
        if variant != BASELINE:
            line.update(compare(measured[variant], measured[BASELINE]))
        lines.append(line)
    return lines


def verdict(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Each faulted variant's overhead against its target."""
    checks = [
        {
            "layer": line["layer"],
            "variant": line["variant"],
            "target": TARGETS[line["variant"]],
            "overhead_pct": line["overhead_pct"],
            "overhead_iqr_pct": line["overhead_iqr_pct"],
            "wall_overhead_pct": line["wall_overhead_pct"],
            "met": line["overhead_pct"] <= TARGET_PCT[line["variant"]],
        }
        for line in lines
        if line["variant"] in TARGET_PCT
    ]
    return {"verdict": checks, "all_met": all(check["met"] for check in checks)}


async def run(args: argparse.Namespace) -> None:
    daemons = await asyncio.gather(*(Daemon.start(variant, args) for variant in VARIANTS))
    runs: dict[str, dict[str, list[Any]]] = {
        layer: {variant: [] for variant in VARIANTS} for layer in LAYERS if layer in args.layers
    }
    started = time.perf_counter()
    try:
        for round_ in range(args.rounds):
            turn = round_ % len(daemons)
            for layer, windows in runs.items():
                for daemon in daemons[turn:] + daemons[:turn]:
                    if layer == "rest":
                        windows[daemon.variant].append(await measure_rest(daemon, args))
                    else:
                        windows[daemon.variant].append(await measure_ws(daemon, args, layer == "ws_batched"))
    finally:
        await asyncio.gather(*(daemon.stop() for daemon in daemons))
    lines = [
        line
        for layer, windows in runs.items()
        for line in (rest_lines(windows, args) if layer == "rest" else ws_lines(layer, windows, args))
    ]
    for line in lines:
        print(json.dumps(line), flush=True)
    print(json.dumps({**verdict(lines), "seconds": round(time.perf_counter() - started)}), flush=True)


def main() -> None:
    args = parse_args()
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    if args.serve:
        serve(args)
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
