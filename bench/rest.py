#!/usr/bin/env python3
"""Order placement over loopback HTTP: the daemon's POST /api/v1/orders against a bare twisted.web resource.

Prints one JSON line per target (throughput, latency percentiles, CPU use of both sides); the
exchangesim line carries its ratio to the bare resource measured in the same run (target: >= 0.6,
the capacity issue's):

    python bench/rest.py                            # 10 s per target, 32 connections
    python bench/rest.py --seconds 5 --rounds 3     # targets interleaved, figures pooled over rounds
    python bench/rest.py --pin                      # server on CPU 0, load generator on CPU 1

* ``bare_twisted_web``: a ``twisted.web.resource.Resource`` at ``/api/v1/orders`` on a plain ``Site``
  that parses the JSON body and answers a small JSON object: the ceiling a Twisted server can reach.
* ``exchangesim_orders``: ``ExchangeServer`` with the default ``Config`` (the services ``twistd
  exchangesim`` runs), placing LIMIT orders for BTC/USD as the anonymous default account. Each
  connection alternates BUY and SELL of 0.0001 at 50000.00, so every other order crosses a resting one
  (matching, fees and fills included) and the default balance lasts however long the run is.

Each target is served by its own subprocess (this script with ``--serve``), which prints its port once
listening and exits when its stdin closes. The load generator is this process: asyncio streams over
``--connections`` keep-alive HTTP/1.1 connections, one request in flight on each, the same request
bytes for both targets. Requests finishing in the ``--warmup`` seconds are not counted. The generator's
and the server's CPU busy fractions are reported: a generator near 1.0 means it, not the server, was
the limit, and a server well below 1.0 means other processes took its core; either is noted in the
line. ``server_cpu_us_per_req`` (and ``cpu_ratio_vs_bare``) are the server's CPU time per request,
which a busy machine disturbs less than throughput. Answers other than 2xx count as errors and are
printed to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from serving import (  # noqa: E402
    StdinControl,
    cpu_seconds,
    fresh_data_dir,
    serve_until_stdin_closes,
    start_server,
    stop_server,
)

HOST = "127.0.0.1"
PATH = "/api/v1/orders"
TARGETS = ("bare_twisted_web", "exchangesim_orders")
ORDER = {"symbol": "BTC/USD", "type": "LIMIT", "quantity": "0.0001", "price": "50000.00"}
ORDERS = tuple(json.dumps({**ORDER, "side": side}) for side in ("BUY", "SELL"))
SATURATED = 0.9  # generator CPU busy fraction above which its figures measure the generator
STARVED = 0.8  # server CPU busy fraction below which other processes took its core
SERVE_BOUND_S = 3600.0  # a server process ends by itself after this, should its parent vanish


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="measured seconds per target and round")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    ap.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds; figures are pooled")
    ap.add_argument("--pin", action="store_true", help="pin the server to CPU 0 and the generator to CPU 1")
    ap.add_argument("--serve", choices=TARGETS, help="internal: serve one target on a free port")
    return ap.parse_args()


# -- the servers (run in a subprocess) --------------------------------------------------------------
# Twisted is imported in the server subprocesses only: the load generator stays plain asyncio.


def serve(target: str) -> None:
    """Serve ``target`` on a free loopback port, print ``port N``, and stop when stdin closes."""
    from twisted.internet import defer, task

    task.react(lambda reactor: defer.ensureDeferred(_serve(reactor, target)))


async def _serve(reactor: Any, target: str) -> None:
    from twisted.internet.defer import maybeDeferred

    if target == "bare_twisted_web":
        from twisted.internet.endpoints import TCP4ServerEndpoint
        from twisted.web.server import Site

        port = await TCP4ServerEndpoint(reactor, 0, interface=HOST).listen(Site(_bare_root()))
        number, stop = port.getHost().port, port.stopListening
    else:
        from exchangesim.config import Config
        from exchangesim.server import ExchangeServer

        config = Config()
        config.server.endpoint = f"tcp:0:interface={HOST}"
        config.liquidity.enabled = False  # the figure is the cost of an order, not of the agents' trading
        config.server.request_rate_limit = 100_000_000  # one client: its rate is what is measured
        fresh_data_dir(config)
        server = ExchangeServer(config, reactor=reactor)
        await server.start()
        number, stop = server.port, server.stop
    try:
        await serve_until_stdin_closes(reactor, number, StdinControl(lambda line: None), SERVE_BOUND_S)
    finally:
        await maybeDeferred(stop)


def _bare_root() -> Any:
    """A resource tree with a JSON POST answered at ``/api/v1/orders``, and nothing else."""
    from twisted.web.resource import Resource

    class Orders(Resource):
        isLeaf = True
        placed = 0

        def render_POST(self, request: Any) -> bytes:
            order = json.loads(request.content.read())
            self.placed += 1
            request.setResponseCode(201)
            request.setHeader(b"content-type", b"application/json")
            answer = {"order_id": str(self.placed), "symbol": order["symbol"], "status": "NEW"}
            return json.dumps(answer, separators=(",", ":")).encode()

    root, api, v1 = Resource(), Resource(), Resource()
    root.putChild(b"api", api)
    api.putChild(b"v1", v1)
    v1.putChild(b"orders", Orders())
    return root


# -- the load generator -----------------------------------------------------------------------------


class Load:
    """What the connections saw between ``start`` and ``end`` (perf_counter seconds), and the CPU it took."""

    def __init__(self, start: float, end: float) -> None:
        self.start = start
        self.end = end
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.generator_cpu = 0.0  # seconds of CPU this process used in the window
        self.server_cpu: float | None = None  # the same for the server, where /proc tells

    def record(self, sent: float, done: float, status: int, body: bytes) -> None:
        if self.start <= done <= self.end:
            self.latencies.append(done - sent)
            if not 200 <= status < 300:
                self.errors[f"{status} {body[:300].decode(errors='replace')}"] += 1


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 response, framed by Content-Length or chunked (Klein's way)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:-2]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if b"content-length" in headers:
        return status, await reader.readexactly(int(headers[b"content-length"]))
    if headers.get(b"transfer-encoding", b"").lower() != b"chunked":
        raise ValueError(f"response without Content-Length or chunked framing: {head!r}")
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        chunks.append((await reader.readexactly(size + 2))[:-2])
    await reader.readuntil(b"\r\n")  # no trailers are sent: this is the empty line ending the body
    return status, b"".join(chunks)


async def drive(port: int, requests: tuple[bytes, ...], load: Load) -> None:
    """One keep-alive connection sending ``requests`` in turn until ``load.end``; reconnects on a drop."""
    turn = 0
    while time.perf_counter() < load.end:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while (sent := time.perf_counter()) < load.end:
                writer.write(requests[turn])
                turn = 1 - turn
                status, body = await read_response(reader)
                load.record(sent, time.perf_counter(), status, body)
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            load.record(sent, time.perf_counter(), 599, f"connection lost: {error!r}".encode())
        finally:
            writer.close()


def order_requests(port: int) -> tuple[bytes, ...]:
    """The raw HTTP requests placing ``ORDERS`` on the server at ``port``, which ``drive`` sends in turn."""
    return tuple(
        (
            f"POST {PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
        for body in ORDERS
    )


async def measure(port: int, pid: int, args: argparse.Namespace) -> Load:
    """Load the server listening on ``port`` (process ``pid``) through warm-up and the measured window."""
    requests = order_requests(port)
    now = time.perf_counter()
    load = Load(now + args.warmup, now + args.warmup + args.seconds)
    connections = asyncio.gather(*(drive(port, requests, load) for _ in range(args.connections)))
    await asyncio.sleep(args.warmup)
    cpu, server = time.process_time(), cpu_seconds(pid)
    await asyncio.sleep(args.seconds)
    load.generator_cpu = time.process_time() - cpu
    load.server_cpu = cpu_seconds(pid) - server
    await asyncio.wait_for(connections, timeout=30)
    return load


async def run_target(target: str, args: argparse.Namespace) -> Load:
    """Start ``target``'s server subprocess, load it, and stop it."""
    server, port = await start_server([os.path.abspath(__file__), "--serve", target])
    try:
        if args.pin:
            os.sched_setaffinity(server.pid, {0})
        return await measure(port, server.pid, args)
    finally:
        await stop_server(server)


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list, in milliseconds."""
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 3)


def summarise(target: str, runs: list[Load], args: argparse.Namespace) -> dict[str, Any]:
    """The JSON line of one target, pooled over its rounds; non-2xx answers are printed to stderr."""
    latencies = sorted(latency for load in runs for latency in load.latencies)
    if not latencies:
        raise RuntimeError(f"{target} answered no request in the measured window")
    errors: Counter[str] = sum((load.errors for load in runs), Counter())
    for answer, count in errors.most_common(10):
        print(f"{target}: {count} x {answer}", file=sys.stderr)
    seconds = args.seconds * len(runs)
    generator_busy = sum(load.generator_cpu for load in runs) / seconds
    line: dict[str, Any] = {
        "target": target,
        "requests": len(latencies),
        "errors": sum(errors.values()),
        "req_per_s": round(len(latencies) / seconds),
        "p50_ms": percentile(latencies, 0.50),
        "p90_ms": percentile(latencies, 0.90),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": round(latencies[-1] * 1000, 3),
        "connections": args.connections,
        "runs_req_per_s": [round(len(load.latencies) / args.seconds) for load in runs],
        "generator_cpu_busy": round(generator_busy, 3),
        "server_cpu_busy": None,
        "server_cpu_us_per_req": None,
    }
    notes = []
    if generator_busy >= SATURATED:
        notes.append("the load generator saturated its core: this measures the generator, not the server")
    server_cpus = [load.server_cpu for load in runs if load.server_cpu is not None]
    if len(server_cpus) == len(runs):
        server_cpu = sum(server_cpus)
        line["server_cpu_busy"] = round(server_cpu / seconds, 3)
        line["server_cpu_us_per_req"] = round(server_cpu / len(latencies) * 1e6, 1)
        if server_cpu / seconds < STARVED:
            notes.append("the server did not get a whole core: other processes competed for the CPU")
    if notes:
        line["notes"] = notes
    return line


async def run(args: argparse.Namespace) -> None:
    if args.pin:
        os.sched_setaffinity(0, {1})
    runs: dict[str, list[Load]] = {target: [] for target in TARGETS}
    for _ in range(args.rounds):  # interleaved, so drift on a busy machine hits both targets alike
        for target in TARGETS:
            runs[target].append(await run_target(target, args))
    bare = summarise("bare_twisted_web", runs["bare_twisted_web"], args)
    ours = summarise("exchangesim_orders", runs["exchangesim_orders"], args)
    ours["ratio_vs_bare"] = round(ours["req_per_s"] / bare["req_per_s"], 3)
    ours["runs_ratio_vs_bare"] = [
        round(len(load.latencies) / len(base.latencies), 3)
        for load, base in zip(runs["exchangesim_orders"], runs["bare_twisted_web"], strict=True)
    ]
    if bare["server_cpu_us_per_req"] and ours["server_cpu_us_per_req"]:
        ours["cpu_ratio_vs_bare"] = round(bare["server_cpu_us_per_req"] / ours["server_cpu_us_per_req"], 3)
    for line in (bare, ours):
        print(json.dumps(line), flush=True)


def main() -> None:
    args = parse_args()
    if args.serve:
        serve(args.serve)
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
