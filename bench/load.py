#!/usr/bin/env python3
"""Load on a real daemon: WebSocket subscribers under an order flood, many idle or subscribed connections.

Starts ``twistd exchangesim`` as a subprocess on a free loopback port (raising the open-file limit,
soft to hard, first: the daemon inherits it) and prints JSON lines: one per RSS sample of the daemon,
then one summary line.

    python bench/load.py flood                  # 200 subscribers (10 slow), 16 order connections, 30 s
    python bench/load.py flood --seconds 60 --subscribers 500 --slow 20
    python bench/load.py idle                   # 10,000 idle WebSocket connections: the daemon's RSS
    python bench/load.py subscribed             # 1,000 connections on BOOK of 25 symbols: peak RSS
    python bench/load.py slowloris              # 200 slow connections from one address, health from another

* ``flood``: ``--subscribers`` clients of ``/ws`` subscribed to TICKER, TRADES and BOOK of BTC/USD,
  while ``--connections`` keep-alive connections POST orders that alternate BUY and SELL at one price
  (every other one trades). ``--slow`` of the subscribers stop reading once subscribed: the daemon
  closes each when its queue passes ``--queue-limit`` messages (1013). Reported: messages/s delivered
  to the reading subscribers, order latency p50/p95/p99, how many slow and how many reading
  subscribers the daemon disconnected, and the daemon's RSS over time.
* ``idle``: ``--connections`` clients of ``/ws`` that open the WebSocket and send nothing; reported:
  the daemon's RSS before and with them open, per connection, and against DESIGN §9's 1 GiB; then
  the daemon is sent SIGTERM with them all open: how long it took to exit, its exit code, and how many
  clients got the 1001 close (DESIGN §10.14: within 5 s).
* ``subscribed``: a market of ``--symbols`` symbols (25) at the default 1 ms ticks, the liquidity
  agents on with ``--preset`` (liquid), and ``--connections`` clients of ``/ws`` (1,000) that each
  subscribe to BOOK of every symbol (per-message frames, the default, or ``"batch": true`` with
  ``--batch``), then read for ``--seconds``. The market starts paused (``clock = manual``) and is
  resumed through the admin API once every client is subscribed: on two shared cores, a running
  market of this size keeps the daemon too busy to answer the later clients' subscriptions within a
  minute. Reported: the daemon's RSS before and with them subscribed, and its peak over the run
  (of the ``--sample`` samples) against issue 25's 2 GiB; the BOOK messages/s they received (each
  message of a BATCH frame counts; per connection too); the daemon's and the clients' CPU over the
  window; the daemon's ``market_lag_ms`` (health) as the window ends; how many clients the daemon
  closed, with which codes, how many it logged closing as too slow (1013), and how long after the
  market resumed it closed the first.
* ``slowloris``: ``--connections`` clients from 127.0.0.1 each send a request head one byte every
  ``--trickle`` seconds, and open a new connection whenever the daemon closes one, while a client from
  127.0.0.2 asks ``/api/v1/health`` every 100 ms for ``--seconds``; the daemon keeps its default
  ``max_connections_per_address`` and ``request_head_timeout_s`` and has ``max_connections`` =
  ``--slots`` (200). Reported: health latency p50/p99/max, how many health checks were not answered
  200 within 1 s (the goal: none), and what the slow clients got (408, 503, or a close).

The daemon runs with the package defaults except: liquidity agents off but in ``subscribed`` (the
flood is the only trading), ``request_rate_limit`` out of the way (the flood is one client),
``max_connections`` and ``idle_timeout_s`` raised to hold the idle connections; persistence as
packaged (its policy is in the summary line). Not run by the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from rest import Load, drive, order_requests, percentile, read_response  # noqa: E402
from serving import cpu_seconds  # noqa: E402
from wsload import READY_TIMEOUT_S, CountingClient, symbol_names  # noqa: E402

from exchangesim.config import Config  # noqa: E402
from exchangesim.pytest_plugin import Daemon  # noqa: E402

SYMBOL = "BTC/USD"
INITIAL_PRICE = "100.00"  # of each symbol of the subscribed mode
ADMIN_TOKEN = "bench-load-admin-token"  # the subscribed mode resumes the market with it
CHANNELS = ("TICKER", "TRADES", "BOOK")
GIB = 1 << 30
CONNECT_BATCH = 200  # idle connections opened at once: the daemon's listen backlog is 50
SLOW_RECEIVE_BUFFER = 4096
DRAIN_S = 2.0  # after the window, how long the slow subscribers get to read what is left


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("flood", "idle", "slowloris", "subscribed"))
    ap.add_argument("--seconds", type=float, default=30.0, help="flood, subscribed: measured seconds")
    ap.add_argument(
        "--warmup", type=float, default=2.0, help="flood, subscribed: seconds of load before measuring"
    )
    ap.add_argument("--subscribers", type=int, default=200, help="flood: WebSocket subscribers")
    ap.add_argument("--slow", type=int, default=10, help="flood: subscribers that stop reading")
    ap.add_argument(
        "--connections",
        type=int,
        help="flood: order connections (16); idle: WebSocket connections (10000); slowloris: slow ones"
        " (200); subscribed: subscribed WebSocket connections (1000)",
    )
    ap.add_argument("--symbols", type=int, default=25, help="subscribed: symbols, BOOK of each subscribed")
    ap.add_argument("--preset", default="liquid", help="subscribed: [liquidity] preset of the market")
    ap.add_argument("--batch", action="store_true", help='subscribed: subscribe with "batch": true')
    ap.add_argument(
        "--trickle", type=float, default=5.0, help="slowloris: seconds between a slow head's bytes"
    )
    ap.add_argument("--slots", type=int, default=200, help="slowloris: [server] max_connections")
    ap.add_argument(
        "--queue-limit",
        type=int,
        help="[server] ws_send_queue_limit (flood: 1000, tighter than the package's 10000, so the slow meet"
        " it; the other modes: the package's)",
    )
    ap.add_argument("--sample", type=float, default=1.0, help="seconds between RSS samples")
    args = ap.parse_args()
    if args.queue_limit is None and args.mode == "flood":
        args.queue_limit = 1000
    if args.connections is None:
        args.connections = {"flood": 16, "idle": 10_000, "slowloris": 200, "subscribed": 1000}[args.mode]
    return args


def raise_open_file_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (the daemon inherits it); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_bytes(pid: int) -> int:
    """Resident set size of process ``pid``, from /proc."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def start_daemon(workdir: Path, args: argparse.Namespace) -> Daemon:
    idle_connections = args.connections if args.mode == "idle" else 0
    if args.mode == "slowloris":  # the attack meets the daemon's own defaults, but for the slots
        server = [f"max_connections = {args.slots}"]
    else:  # one client holds every connection here
        connections = idle_connections + args.subscribers + args.connections + 100
        server = [
            f"max_connections = {connections}",
            f"max_connections_per_address = {connections}",
            "idle_timeout_s = 86400",
        ]
    if args.mode == "subscribed":  # a market of --symbols symbols, paused until the clients subscribed
        symbols = symbol_names(args.symbols)
        server.append(f"admin_token = {ADMIN_TOKEN}")
        market = [
            "[liquidity]",
            f"preset = {args.preset}",
            "[exchange]",
            "clock = manual",
            f"symbols = {', '.join(symbols)}",
        ]
        for symbol in symbols:
            market += [f"[symbol:{symbol}]", f"initial_price = {INITIAL_PRICE}"]
    else:
        market = ["[liquidity]", "enabled = false"]
    config = workdir / "load.ini"
    config.write_text(
        "\n".join(
            [
                "[server]",
                "request_rate_limit = 100000000",
                *server,
                *([] if args.queue_limit is None else [f"ws_send_queue_limit = {args.queue_limit}"]),
                *market,
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return Daemon(workdir, ["--config", str(config)])


class RssSampler:
    """Samples the daemon's RSS every ``interval`` seconds, printing each sample as a JSON line."""

    def __init__(self, pid: int, interval: float) -> None:
        self._pid = pid
        self._interval = interval
        self._start = time.perf_counter()
        self.samples: list[int] = []
        self.stopped = False

    async def run(self) -> None:
        while not self.stopped:
            self.take()
            await asyncio.sleep(self._interval)

    def stop(self) -> None:
        self.stopped = True

    def take(self) -> int:
        rss = rss_bytes(self._pid)
        self.samples.append(rss)
        elapsed = round(time.perf_counter() - self._start, 2)
        print(json.dumps({"t_s": elapsed, "rss_mib": round(rss / 2**20, 1)}), flush=True)
        return rss


class IdleClient(CountingClient):
    """Opens a ``/ws`` WebSocket and sends nothing; ``subscribed`` fires once the handshake is answered."""

    def __init__(self, port: int) -> None:
        super().__init__(port, [], None)


class Subscriber(CountingClient):
    """A ``/ws`` subscriber that can stop reading (``lost``: the daemon ended its connection)."""

    def __init__(self, port: int, operations: list[bytes]) -> None:
        super().__init__(port, operations, None)

    def stop_reading(self) -> None:
        self._transport.pause_reading()

    def read_again(self) -> None:
        if not self.lost:
            self._transport.resume_reading()


async def connect(port: int, make: Any, receive_buffer: int | None = None) -> Any:
    """A client connected to the daemon; ``receive_buffer`` sets SO_RCVBUF before connecting (a small
    one keeps the kernel from absorbing what a client that stops reading leaves unread)."""
    loop = asyncio.get_running_loop()
    if receive_buffer is None:
        _, client = await loop.create_connection(make, "127.0.0.1", port)
        return client
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    _, client = await loop.create_connection(make, sock=sock)
    return client


async def flood(daemon: Daemon, args: argparse.Namespace, sampler: RssSampler) -> dict[str, Any]:
    port = daemon.port
    operations = [
        json.dumps({"op": "subscribe", "channel": channel, "symbol": SYMBOL}).encode() for channel in CHANNELS
    ]
    buffers = [SLOW_RECEIVE_BUFFER] * args.slow + [None] * (args.subscribers - args.slow)
    subscribers = [await connect(port, lambda: Subscriber(port, operations), size) for size in buffers]
    await asyncio.wait_for(asyncio.gather(*(s.subscribed for s in subscribers)), READY_TIMEOUT_S)
    slow, reading = subscribers[: args.slow], subscribers[args.slow :]
    for subscriber in slow:
        subscriber.stop_reading()
    requests = order_requests(port)
    now = time.perf_counter()
    load = Load(now + args.warmup, now + args.warmup + args.seconds)
    orders = asyncio.gather(*(drive(port, requests, load) for _ in range(args.connections)))
    await asyncio.sleep(args.warmup)
    delivered = sum(s.updates for s in reading)
    await asyncio.sleep(args.seconds)
    delivered = sum(s.updates for s in reading) - delivered
    await asyncio.wait_for(orders, timeout=30)
    for subscriber in slow:
        subscriber.read_again()
    await asyncio.sleep(DRAIN_S)
    latencies = sorted(load.latencies)
    for subscriber in subscribers:
        subscriber.close()
    return {
        "orders": len(latencies),
        "orders_per_s": round(len(latencies) / args.seconds),
        "order_errors": sum(load.errors.values()),
        "order_p50_ms": percentile(latencies, 0.50),
        "order_p95_ms": percentile(latencies, 0.95),
        "order_p99_ms": percentile(latencies, 0.99),
        "delivered_messages_per_s": round(delivered / args.seconds),
        "subscribers": args.subscribers,
        "slow_subscribers": args.slow,
        "queue_limit": args.queue_limit,
        "slow_disconnected": sum(s.lost or s.close_code is not None for s in slow),
        "slow_close_codes": sorted({s.close_code for s in slow if s.close_code is not None}),
        "reading_disconnected": sum(s.lost or s.close_code is not None for s in reading),
    }


async def idle(daemon: Daemon, args: argparse.Namespace, sampler: RssSampler) -> dict[str, Any]:
    port = daemon.port
    before = sampler.take()
    clients: list[IdleClient] = []
    started = time.perf_counter()
    while len(clients) < args.connections:
        batch = min(CONNECT_BATCH, args.connections - len(clients))
        opened = await asyncio.gather(*(connect(port, lambda: IdleClient(port)) for _ in range(batch)))
        await asyncio.wait_for(asyncio.gather(*(c.subscribed for c in opened)), READY_TIMEOUT_S)
        clients += opened
    connect_s = time.perf_counter() - started
    await asyncio.sleep(2 * args.sample)  # the daemon settles; the sampler keeps printing
    with_them = sampler.take()
    still_open = sum(not c.lost and c.close_code is None for c in clients)
    stop_s, exit_code = await stop_with_connections_open(daemon, sampler)
    return {
        "connections": args.connections,
        "open_after_hold": still_open,
        "connect_s": round(connect_s, 2),
        "rss_before_mib": round(before / 2**20, 1),
        "rss_with_connections_mib": round(with_them / 2**20, 1),
        "kib_per_connection": round((with_them - before) / args.connections / 1024, 2),
        "target_rss_gib": 1,
        "met": with_them < GIB,
        "sigterm_stop_s": round(stop_s, 2),
        "sigterm_exit_code": exit_code,
        "closed_with_1001": sum(c.close_code == 1001 for c in clients),
    }


async def subscribed(daemon: Daemon, args: argparse.Namespace, sampler: RssSampler) -> dict[str, Any]:
    port = daemon.port
    batch = {"batch": True} if args.batch else {}
    operations = [
        json.dumps({"op": "subscribe", "channel": "BOOK", "symbol": symbol, **batch}).encode()
        for symbol in symbol_names(args.symbols)
    ]
    before = sampler.take()
    clients: list[Subscriber] = []
    started = time.perf_counter()
    while len(clients) < args.connections:
        size = min(CONNECT_BATCH, args.connections - len(clients))
        opened = await asyncio.gather(
            *(connect(port, lambda: Subscriber(port, operations)) for _ in range(size))
        )
        # A client the daemon closes while the others subscribe is counted below, not a failed run.
        confirmed = asyncio.gather(*(c.subscribed for c in opened), return_exceptions=True)
        await asyncio.wait_for(confirmed, READY_TIMEOUT_S)
        clients += opened
    connect_s = time.perf_counter() - started
    await resume_market(port)
    first_close = asyncio.ensure_future(seconds_until_first_close(clients, time.perf_counter()))
    await asyncio.sleep(args.warmup)
    with_them = sampler.take()
    received, wall, cpu = sum(c.updates for c in clients), time.perf_counter(), time.process_time()
    daemon_cpu = cpu_seconds(daemon.process.pid)
    await asyncio.sleep(args.seconds)
    received = sum(c.updates for c in clients) - received
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    daemon_cpu = cpu_seconds(daemon.process.pid) - daemon_cpu
    lag_ms = await market_lag_ms(port)
    first_close_s = round(first_close.result(), 1) if first_close.done() else None
    first_close.cancel()
    closed = [c for c in clients if c.lost or c.close_code is not None]
    for client in clients:
        client.close()
    return {
        "connections": args.connections,
        "symbols": args.symbols,
        "preset": args.preset,
        "batch": args.batch,
        "connect_and_subscribe_s": round(connect_s, 2),
        "rss_before_mib": round(before / 2**20, 1),
        "rss_subscribed_mib": round(with_them / 2**20, 1),
        "messages_per_s": round(received / wall),
        "messages_per_s_per_connection": round(received / wall / args.connections, 1),
        "daemon_cpu_busy": round(daemon_cpu / wall, 3),
        "client_cpu_busy": round(cpu / wall, 3),
        "market_lag_ms_at_end": lag_ms,
        "closed_by_daemon": len(closed),
        "close_codes": sorted({c.close_code for c in closed if c.close_code is not None}),
        "closed_as_slow_in_daemon_log": daemon.printed().count("closing WebSocket client"),
        "first_close_after_resume_s": first_close_s,
        "target_rss_gib": 2,
    }


async def seconds_until_first_close(clients: list[Subscriber], since: float) -> float:
    """Seconds from ``since`` until the daemon has closed one of ``clients`` (checked every 0.25 s)."""
    while not any(c.lost or c.close_code is not None for c in clients):
        await asyncio.sleep(0.25)
    return time.perf_counter() - since


async def market_lag_ms(port: int) -> int:
    """How far the daemon's market runs behind its schedule, from its health answer."""
    return (await call(port, "GET /api/v1/health"))["market_lag_ms"]


async def resume_market(port: int) -> None:
    """Start the paused market's clock (the admin API)."""
    await call(port, "POST /api/v1/admin/clock/resume", f"X-Admin-Token: {ADMIN_TOKEN}\r\n")


async def call(port: int, request_line: str, headers: str = "") -> Any:
    """The JSON answer of one bodiless request to the daemon; anything but 200 fails the run."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{request_line} HTTP/1.1\r\nHost: sim\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
    writer.write(head.encode())
    status, body = await asyncio.wait_for(read_response(reader), READY_TIMEOUT_S)
    writer.close()
    if status != 200:
        raise RuntimeError(f"{request_line} answered {status}: {body[:300]!r}")
    return json.loads(body)


async def slowloris(daemon: Daemon, args: argparse.Namespace, sampler: RssSampler) -> dict[str, Any]:
    port, stop = daemon.port, asyncio.Event()
    outcomes: dict[str, int] = {}

    async def slow_client() -> None:
        """One attacker: a head trickled a byte at a time; a new connection when the daemon ends one."""
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: sim\r\n")
                answer = b""
                while not stop.is_set() and not answer and not reader.at_eof():
                    writer.write(b"X")
                    await writer.drain()
                    try:
                        answer = await asyncio.wait_for(reader.read(64), args.trickle)
                    except TimeoutError:  # nothing came back: trickle the next byte
                        continue
                key = answer[9:12].decode() if answer.startswith(b"HTTP/1.1 ") else "closed"
                writer.close()
            except OSError:
                key = "refused"
            outcomes[key] = outcomes.get(key, 0) + 1  # the daemon answered (408, 503) or closed
            await asyncio.sleep(args.trickle)  # a slowloris holds sockets; it does not flood connects

    async def health() -> float | None:
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0)), 1.0
            )
            writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n")
            answer = await asyncio.wait_for(reader.read(), 1.0)
            writer.close()
        except (OSError, TimeoutError):
            return None
        return time.perf_counter() - started if answer.startswith(b"HTTP/1.1 200") else None

    attackers = [asyncio.ensure_future(slow_client()) for _ in range(args.connections)]
    await asyncio.sleep(args.trickle)  # the slow connections take what slots they can
    latencies, failed = [], 0
    ends = time.perf_counter() + args.seconds
    while time.perf_counter() < ends:
        latency = await health()
        if latency is None or latency > 1.0:
            failed += 1
        else:
            latencies.append(latency)
        await asyncio.sleep(0.1)
    stop.set()
    for attacker in attackers:
        attacker.cancel()
    await asyncio.gather(*attackers, return_exceptions=True)
    latencies.sort()
    return {
        "slow_clients": args.connections,
        "max_connections": args.slots,
        "health_checks": len(latencies) + failed,
        "health_failed_or_over_1s": failed,
        "health_p50_ms": percentile(latencies, 0.5) if latencies else None,
        "health_p99_ms": percentile(latencies, 0.99) if latencies else None,
        "health_max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "slow_client_outcomes": outcomes,
        "met": failed == 0,
    }


async def stop_with_connections_open(daemon: Daemon, sampler: RssSampler) -> tuple[float, int]:
    """SIGTERM the daemon while every connection is open: seconds until it exited, and its exit code."""
    sampler.stop()
    signalled = time.perf_counter()
    daemon.process.send_signal(signal.SIGTERM)
    exit_code = await asyncio.to_thread(daemon.process.wait, 60)
    stopped = time.perf_counter() - signalled
    await asyncio.sleep(0.5)  # the clients read the close frames that are left
    return stopped, exit_code


async def run(daemon: Daemon, args: argparse.Namespace) -> dict[str, Any]:
    sampler = RssSampler(daemon.process.pid, args.sample)
    sampling = asyncio.ensure_future(sampler.run())
    try:
        modes = {"flood": flood, "idle": idle, "slowloris": slowloris, "subscribed": subscribed}
        figures = await modes[args.mode](daemon, args, sampler)
    finally:
        sampling.cancel()
    peak = max(sampler.samples)
    met = {"met": peak < 2 * GIB} if args.mode == "subscribed" else {}
    return {**figures, "rss_max_mib": round(peak / 2**20, 1), **met}


def main() -> None:
    args = parse_args()
    open_files = raise_open_file_limit()
    with tempfile.TemporaryDirectory(prefix="exchangesim-load-") as workdir:
        daemon = start_daemon(Path(workdir), args)
        try:
            figures = asyncio.run(run(daemon, args))
        finally:
            exit_code = daemon.stop()
    persistence = Config().persistence
    summary = {
        "mode": args.mode,
        **figures,
        "open_file_limit": open_files,
        "persistence": f"enabled={persistence.enabled} fsync={persistence.fsync}",
        "daemon_exit_code": exit_code,
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
