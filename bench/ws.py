#!/usr/bin/env python3
"""WebSocket fan-out of the native ``/ws`` against bare Autobahn broadcast, in the same run (DESIGN §9).

Prints one JSON line per target; the exchangesim lines carry ``ratio_vs_bare``, the §9 figure
(``WS fan-out >= 0.7x bare Autobahn broadcast``, one ``sendMessage`` per update per client):

    python bench/ws.py                                  # 100 clients, 10 symbols, a 10 s window
    python bench/ws.py --seconds 5 --repeat 3           # three interleaved rounds, median runs
    python bench/ws.py --clients 200 --targets bare_autobahn exchangesim_ws
    python bench/ws.py --profile /tmp/ws-prof           # cProfile the servers (slows them down)

Each target is served by a subprocess of its own (one reactor, so one core) while another process
runs the clients; both use 127.0.0.1 only. The serving process also makes the market: every
``--tick-ms`` one update per symbol. The default, 0, ticks on every reactor turn, so the server is
always offered more than it can send and the figures measure the server; a 1 ms ``LoopingCall``
reaches only a few hundred ticks/s here (the poller sleeps in whole milliseconds), which would make
the driver the limit. ``driver_ticks_per_s`` reports the ticks actually made.

* ``bare_autobahn``: a plain Autobahn ``WebSocketServerFactory`` that encodes each update once and
  calls ``sendMessage`` once per update per client: the baseline of the ratios.
* ``bare_autobahn_batched``: the same server sending one frame per tick holding the tick's updates
  (the same bytes to every client, since every client holds every symbol), for scale.
* ``exchangesim_ws``: the daemon's own services (``ExchangeService`` on a ``Config`` listing
  ``--symbols`` symbols) while a driver places and cancels limit orders through the venue's
  ``Exchange``, one command per symbol per tick and never crossing, so each command is exactly one
  BOOK delta, as each bare tick is one update per symbol (the liquidity agents are off; the price
  models tick as by default). Clients subscribe to BOOK of every symbol with ``"batch": true``, so
  every update goes through ``StreamFeed``, ``StreamHub`` and each connection's ``Outbox``, and
  leaves in one BATCH frame per connection per turn.
* ``exchangesim_ws_unbatched``: the same, subscribed without ``batch`` (one frame per message, the
  default mode), for scale.

Figures, over a ``--seconds`` window that opens ``--warmup`` seconds after every client has its
subscriptions confirmed: ``updates_per_s`` counts the updates every client received (each message in
a BATCH frame counts); ``server_cpu_busy`` and ``client_cpu_busy`` are each process's CPU time over
the window. A client near 1.0 would mean the clients, not the server, were the limit; a server never
sleeps at ``--tick-ms 0``, so one well under 1.0 was waiting for a CPU taken by other work, which
``updates_per_server_cpu_s`` and the ``_per_cpu`` ratios factor out. The first ``--check-clients``
clients parse every message and count breaks in each stream's contiguous ``seq`` (``seq_gaps``, which
must be 0); ``closed`` counts clients the server closed.

The clients speak just enough RFC 6455 on asyncio (the handshake, masked subscribe frames, and a
reader that counts ``"seq":`` keys inside the received bytes): the load process shares a two-core
machine with the server, and 100 aiohttp clients took twice the CPU here (0.47 of a core for 110,000
frames/s, against 0.22), CPU the server then loses, most of all to the one-frame-per-update baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections import deque
from decimal import Decimal
from typing import Any

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet import task
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.interfaces import IReactorCore

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from serving import (  # noqa: E402
    StdinControl,
    fresh_data_dir,
    log_warnings_only,
    median_run,
    serve_until_stdin_closes,
)
from wsload import READY_TIMEOUT_S, run_load, symbol_names  # noqa: E402

from exchangesim.config import (  # noqa: E402
    DEFAULT_ACCOUNT,
    Config,
    ConfigError,
    SymbolConfig,
    seal,
)
from exchangesim.config_checks import check_config  # noqa: E402
from exchangesim.service import ExchangeService  # noqa: E402
from exchangesim.venue import Venue  # noqa: E402

TARGETS = ("bare_autobahn", "bare_autobahn_batched", "exchangesim_ws", "exchangesim_ws_unbatched")
BASELINE, BATCHED_BASELINE = TARGETS[:2]
INITIAL_PRICE = "100.00"
BOOK_DEPTH = 20  # resting orders per symbol; past it the driver cancels the oldest instead of placing


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100, help="WebSocket clients per target")
    ap.add_argument("--symbols", type=int, default=10, help="symbols, each one BOOK stream per client")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the measured window")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds between readiness and the window")
    ap.add_argument("--tick-ms", type=float, default=0.0, help="driver period (0: every reactor turn)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds over the targets; medians are reported")
    ap.add_argument("--check-clients", type=int, default=4, help="clients that check every seq")
    ap.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS), help="what to measure")
    ap.add_argument("--profile", metavar="DIR", help="cProfile each server process into DIR/TARGET.prof")
    # Internal: how this script starts its own server and load processes.
    ap.add_argument("--role", choices=("run", "serve", "load"), default="run", help=argparse.SUPPRESS)
    ap.add_argument("--target", choices=TARGETS, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return ap.parse_args()


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode("utf-8")


# -- the serving process ----------------------------------------------------------------------------
class BookDriver:
    """Moves the venue's books: per tick and symbol, one resting limit order placed or canceled."""

    def __init__(self, venue: Venue, symbols: list[str]) -> None:
        self._exchange = venue.exchange
        self._now_ms = venue.now_ms
        self._random = random.Random(1)
        self._books: list[tuple[str, int, int, deque[int]]] = []
        for symbol in symbols:
            instrument = self._exchange.instrument(symbol)
            mid, lots = instrument.parse_price(INITIAL_PRICE), instrument.parse_quantity("0.05")
            self._books.append((symbol, mid, lots, deque()))
        self.ticks = 0

    def tick(self) -> None:
        self.ticks += 1
        ts = self._now_ms()
        place, cancel, offset = self._exchange.place, self._exchange.cancel, self._random.randrange
        for symbol, mid, lots, resting in self._books:
            if len(resting) >= BOOK_DEPTH:
                cancel(DEFAULT_ACCOUNT, resting.popleft(), ts=ts)
            else:
                side, price = ("BUY", mid - 1 - offset(50)) if offset(2) else ("SELL", mid + 1 + offset(50))
                resting.append(place(DEFAULT_ACCOUNT, symbol, side, "LIMIT", lots, price, ts=ts).order_id)


def exchangesim_config(symbols: list[str]) -> Config:
    """The daemon's defaults on an ephemeral loopback port, with ``symbols`` listed and funded.

    The liquidity agents are off, so the driver's orders are the only book changes (the price models
    still tick): each tick is then exactly one update per symbol, as in the bare servers.
    """
    config = Config()
    config.server.endpoint = "tcp:0:interface=127.0.0.1"
    config.liquidity.enabled = False
    config.exchange.symbols = symbols
    config.server.request_rate_limit = 100_000_000  # one client: its rate is what is measured
    fresh_data_dir(config)
    config.symbols = {symbol: SymbolConfig(initial_price=Decimal(INITIAL_PRICE)) for symbol in symbols}
    config.accounts.default_balance = {"USD": 10**12, **{symbol.split("/")[0]: 10**9 for symbol in symbols}}
    problems = check_config(config)
    if problems:
        raise ConfigError(problems)
    return config


class BareProtocol(WebSocketServerProtocol):
    """Answers subscribe operations; the factory's ticks do the sending."""

    factory: BareBroadcastFactory

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        message = json.loads(payload)
        symbol = message.get("symbol")
        if message.get("op") != "subscribe" or symbol not in self.factory.subscribers:
            self.sendMessage(encode({"type": "ERROR", "message": f"cannot handle {message!r}"}))
            return
        self.factory.subscribers[symbol][self] = None
        self.factory.connections[self] = None
        self.sendMessage(encode({"type": "SUBSCRIBED", "channel": "BOOK", "symbol": symbol}))

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.factory.connections.pop(self, None)
        for subscribers in self.factory.subscribers.values():
            subscribers.pop(self, None)


class BareBroadcastFactory(WebSocketServerFactory):
    """Bare Autobahn broadcast: per tick one update per symbol, encoded once, sent to its subscribers."""

    protocol = BareProtocol

    def __init__(self, reactor: IReactorCore, symbols: list[str], batched: bool) -> None:
        super().__init__(reactor=reactor)
        self._clock = reactor
        self._batched = batched
        self._random = random.Random(1)
        self.subscribers: dict[str, dict[BareProtocol, None]] = {symbol: {} for symbol in symbols}
        self.connections: dict[BareProtocol, None] = {}  # every subscribed client, for batched sends
        self._seq = dict.fromkeys(symbols, 0)
        self.ticks = 0

    def tick(self) -> None:
        self.ticks += 1
        ts = int(self._clock.seconds() * 1000)
        batch = []
        for symbol, subscribers in self.subscribers.items():
            seq = self._seq[symbol] = self._seq[symbol] + 1
            side, sign = ("BUY", -1) if self._random.randrange(2) else ("SELL", 1)
            cents = 10_000 + sign * (1 + self._random.randrange(50))
            price = f"{cents // 100}.{cents % 100:02d}"
            message = encode(
                {
                    "type": "MARKET_DATA",
                    "channel": "BOOK",
                    "symbol": symbol,
                    "seq": seq,
                    "ts": ts,
                    "side": side,
                    "price": price,
                    "quantity": "0.0500",
                }
            )
            if self._batched:
                batch.append(message)
            else:
                for subscriber in subscribers:
                    subscriber.sendMessage(message)
        if batch:
            frame = b'{"type":"BATCH","messages":[' + b",".join(batch) + b"]}"
            for connection in self.connections:
                connection.sendMessage(frame)


async def serve(reactor: IReactorCore, args: argparse.Namespace) -> None:
    """Serve one target and drive its updates until stdin closes (or a bound on the run's length)."""
    log_warnings_only()
    symbols = symbol_names(args.symbols)
    if args.target.startswith("exchangesim"):
        service = ExchangeService(seal(exchangesim_config(symbols)), reactor)
        service.privilegedStartService()
        service.startService()
        port = (await service.web.listening).getHost().port
        driver: BookDriver | BareBroadcastFactory = BookDriver(service.venue, symbols)
        stop = service.stopService
    else:
        driver = BareBroadcastFactory(reactor, symbols, batched=args.target == BATCHED_BASELINE)
        listening = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(driver)
        port = listening.getHost().port
        stop = listening.stopListening

    def answer(line: bytes) -> dict[str, Any] | None:
        if line == b"mark":
            return {"ticks": driver.ticks, "cpu": time.process_time(), "wall": time.perf_counter()}
        return None

    control = StdinControl(answer)
    ticking = task.LoopingCall(driver.tick)
    ticking.clock = reactor
    ticking.start(args.tick_ms / 1000).addErrback(control.finish)
    try:
        await serve_until_stdin_closes(
            reactor, port, control, READY_TIMEOUT_S + args.warmup + args.seconds + 60
        )
    finally:
        if ticking.running:
            ticking.stop()
        await stop()


# -- the load process -------------------------------------------------------------------------------
async def load(args: argparse.Namespace) -> None:
    """Subscribe every client to BOOK of every symbol and count what arrives (see wsload.run_load)."""
    batch = args.target == "exchangesim_ws"
    operations = [
        encode({"op": "subscribe", "channel": "BOOK", "symbol": symbol, "batch": batch})
        for symbol in symbol_names(args.symbols)
    ]
    await run_load(args.port, operations, args.clients, args.check_clients, args.warmup, args.seconds)


# -- the run: one target after the other ------------------------------------------------------------
def measure(target: str, args: argparse.Namespace) -> dict[str, Any]:
    """Start the target's server process, run the load process against it, and combine their figures."""
    options = {
        "--target": target,
        "--symbols": args.symbols,
        "--clients": args.clients,
        "--seconds": args.seconds,
        "--warmup": args.warmup,
        "--tick-ms": args.tick_ms,
        "--check-clients": args.check_clients,
    }
    common = [os.path.abspath(__file__), *(str(item) for option in options.items() for item in option)]
    profile = ["-m", "cProfile", "-o", os.path.join(args.profile, f"{target}.prof")] if args.profile else []
    server = subprocess.Popen(
        [sys.executable, *profile, *common, "--role", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    client = None
    try:
        ready = server.stdout.readline().split()
        if ready[:1] != ["port"]:
            raise RuntimeError(f"the {target} server did not start")
        client = subprocess.Popen(
            [sys.executable, *common, "--role", "load", "--port", ready[1]], stdout=subprocess.PIPE, text=True
        )
        marks, figures = [], None
        for line in client.stdout:
            if line == "mark\n":  # the window opens or closes: take the server's counters now
                server.stdin.write("mark\n")
                server.stdin.flush()
                marks.append(json.loads(server.stdout.readline()))
            else:
                figures = json.loads(line)
        if client.wait() != 0 or figures is None or len(marks) != 2:
            raise RuntimeError(f"the load process failed against {target}")
    finally:
        if client is not None and client.poll() is None:
            client.kill()
            client.wait()
        server.stdin.close()  # end of input stops the server
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    wall = marks[1]["wall"] - marks[0]["wall"]
    ticks_per_s = (marks[1]["ticks"] - marks[0]["ticks"]) / wall
    server_cpu_busy = (marks[1]["cpu"] - marks[0]["cpu"]) / wall
    updates_per_s = figures["updates"] / figures["wall"]
    return {
        "target": target,
        "clients": args.clients,
        "symbols": args.symbols,
        "tick_ms": args.tick_ms,
        "seconds": round(figures["wall"], 2),
        "updates_per_s": round(updates_per_s),
        # Updates per second of the server's CPU: steadier than updates_per_s when other work shares the CPU.
        "updates_per_server_cpu_s": round(updates_per_s / server_cpu_busy),
        "frames_per_s": round(figures["frames"] / figures["wall"]),
        "updates_per_frame": round(figures["updates"] / max(figures["frames"], 1), 2),
        "offered_updates_per_s": round(ticks_per_s * args.symbols * args.clients),
        "driver_ticks_per_s": round(ticks_per_s),
        "server_cpu_busy": round(server_cpu_busy, 3),
        **{key: figures[key] for key in ("client_cpu_busy", "seq_checked", "seq_gaps", "closed")},
    }


def main() -> None:
    args = parse_args()
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    if args.role == "serve":
        task.react(lambda reactor: Deferred.fromCoroutine(serve(reactor, args)))
    elif args.role == "load":
        asyncio.run(load(args))
    else:
        targets = sorted(args.targets, key=TARGETS.index)
        runs: dict[str, list[dict[str, Any]]] = {target: [] for target in targets}
        for _ in range(args.repeat):  # interleaved, so drift on a busy machine hits every target alike
            for target in targets:
                runs[target].append(measure(target, args))
        lines = {target: median_run(runs[target], "updates_per_s") for target in targets}
        for target, line in lines.items():
            for suffix, baseline in (("bare", BASELINE), ("bare_batched", BATCHED_BASELINE)):
                if target.startswith("exchangesim") and baseline in lines:
                    base = lines[baseline]
                    line[f"ratio_vs_{suffix}"] = round(line["updates_per_s"] / base["updates_per_s"], 3)
                    per_cpu = line["updates_per_server_cpu_s"] / base["updates_per_server_cpu_s"]
                    line[f"ratio_vs_{suffix}_per_cpu"] = round(per_cpu, 3)
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
