#!/usr/bin/env python3
"""Order entry over the Binance WS-API: ``order.place`` round trips against a bare Autobahn server, same run.

Prints one JSON line per target; the exchangesim line carries ``ratio_vs_bare``, issue 25's figure
(``order.place`` round trips per second with 16 connections >= 0.5x a bare Autobahn server that parses
the same JSON request and answers a JSON reply), and both lines the latency percentiles:

    python bench/wsapi.py                               # 16 connections, a 10 s window per target
    python bench/wsapi.py --seconds 5 --repeat 3        # three interleaved rounds, median runs
    python bench/wsapi.py --profile /tmp/wsapi-prof     # cProfile the servers (slows them down)

Each target is served by a subprocess of its own (one reactor, so one core); this process is the load
generator, on asyncio; both use 127.0.0.1 only. Every connection keeps one request in flight: it sends
the next ``order.place`` when the answer to the last one arrives, so each figure is a round trip. The
requests are Binance's: ``symbol``, ``side``, ``type``, ``timeInForce``, ``price``, ``quantity``, a
``newClientOrderId`` of their own, ``apiKey``, ``timestamp`` and ``signature``, the HMAC-SHA256 of the
parameters sorted by name (``k=v`` joined with ``&``, as ``exchangesim/api/binance/ws_api.py``
documents), made anew for each request; both targets get the same requests.

* ``bare_autobahn_wsapi``: a plain Autobahn ``WebSocketServerFactory`` that ``json.loads`` each request
  and answers, from its parameters, a reply of the shape and size of the daemon's (Binance's FULL
  ``order.place`` answer and its ``rateLimits``): the baseline of the ratio. It checks no signature.
* ``exchangesim_wsapi``: the daemon's own services (``ExchangeServer`` on the default ``Config``, the
  journal as packaged, the liquidity agents off so the requests are the only orders) at ``/ws-api/v3``,
  with an ``[account:bench]`` holding the API key and secret the requests are signed with;
  ``request_rate_limit`` and ``ws_max_messages_per_second`` are raised out of the way (one client is
  measured at its own rate). The orders are LIMIT IOC BUYs of BTCUSD at half the initial price: with
  no agents there is no ask to meet, so each order runs the whole path (signature, validation, the
  balance locked and released, the journal, the user data feed) and ends EXPIRED, and the book stays
  as it was however long the run is (resting orders would grow it, or need cancels that are round
  trips of another method). ``order_status`` shows what the first answer said.

Figures, over a ``--seconds`` window that opens ``--warmup`` seconds after every connection is open:
``round_trips_per_s`` counts answers received in the window; ``p50_ms``, ``p90_ms``, ``p99_ms``,
``max_ms`` their latency from send to answer; ``errors`` the answers without ``"status":200`` (the
first few go to stderr); ``server_cpu_busy`` and ``generator_cpu_busy`` each process's CPU time over
the window. A generator near 1.0 would mean the load, not the server, was the limit; a server well
under 1.0 was waiting for its clients or for a CPU taken by other work, which
``round_trips_per_server_cpu_s`` and ``ratio_vs_bare_per_cpu`` factor out. ``request_bytes`` and
``reply_bytes`` are the sizes of the first request and answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.interfaces import IReactorCore
from twisted.internet.task import react

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from rest import Load, percentile  # noqa: E402
from serving import (  # noqa: E402
    StdinControl,
    cpu_seconds,
    fresh_data_dir,
    log_warnings_only,
    median_run,
    serve_until_stdin_closes,
    start_server,
    stop_server,
)
from wsload import READY_TIMEOUT_S, CountingClient, masked_frame  # noqa: E402

from exchangesim.config import AccountConfig, Config  # noqa: E402
from exchangesim.server import ExchangeServer  # noqa: E402
from exchangesim.signing import sign_payload  # noqa: E402
from exchangesim.wire import encode  # noqa: E402

HOST = "127.0.0.1"
TARGETS = ("bare_autobahn_wsapi", "exchangesim_wsapi")
BASELINE = TARGETS[0]
ACCOUNT, API_KEY, API_SECRET = "bench", "bench-wsapi-key", "bench-wsapi-secret"
ORDER = {  # half BTC/USD's initial price: with no agents no ask meets it
    "symbol": "BTCUSD",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "IOC",
    "price": "25000.00",
    "quantity": "0.0010",
}
OK = b'"status":200'
SERVE_BOUND_S = 3600.0  # a server process ends by itself after this, should its parent vanish
ERRORS_SHOWN = 5


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--connections", type=int, default=16, help="WS-API connections, one request in flight each"
    )
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the measured window")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of load before the window")
    ap.add_argument("--repeat", type=int, default=1, help="rounds over the targets; medians are reported")
    ap.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS), help="what to measure")
    ap.add_argument("--profile", metavar="DIR", help="cProfile each server process into DIR/TARGET.prof")
    ap.add_argument("--serve", choices=TARGETS, help=argparse.SUPPRESS)  # internal: the server process
    return ap.parse_args()


# -- the serving process ----------------------------------------------------------------------------
def exchangesim_config() -> Config:
    """The daemon's defaults on an ephemeral loopback port, with the bench account and its API key."""
    config = Config()
    config.server.endpoint = f"tcp:0:interface={HOST}"
    config.liquidity.enabled = False  # the requests are the only orders: none of them ever fills
    config.server.request_rate_limit = 100_000_000  # one client: its rate is what is measured
    config.server.ws_max_messages_per_second = 1_000_000
    config.named_accounts = {ACCOUNT: AccountConfig(api_key=API_KEY, api_secret=API_SECRET)}
    fresh_data_dir(config)
    return config


class BareWsApiProtocol(WebSocketServerProtocol):
    """Parses each request and answers it at once."""

    factory: BareWsApiFactory

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.sendMessage(encode(self.factory.answer(json.loads(payload))))


class BareWsApiFactory(WebSocketServerFactory):
    """Answers ``order.place`` as the daemon does for an IOC order that met nothing, without an engine."""

    protocol = BareWsApiProtocol

    def __init__(self, reactor: IReactorCore) -> None:
        super().__init__(reactor=reactor)
        self._clock = reactor
        self.placed = 0

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        params = request["params"]
        self.placed += 1
        now = int(self._clock.seconds() * 1000)
        order = {
            "symbol": params["symbol"],
            "orderId": self.placed,
            "orderListId": -1,
            "clientOrderId": params["newClientOrderId"],
            "price": params["price"],
            "origQty": params["quantity"],
            "executedQty": "0.0000",
            "cummulativeQuoteQty": "0.00",
            "status": "EXPIRED",
            "timeInForce": params["timeInForce"],
            "type": params["type"],
            "side": params["side"],
            "workingTime": now,
            "selfTradePreventionMode": "NONE",
            "origQuoteOrderQty": "0.00",
            "transactTime": now,
            "fills": [],
        }
        weight = {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1}
        limits = [{**weight, "limit": 100_000_000, "count": self.placed}]
        return {"id": request["id"], "status": 200, "result": order, "rateLimits": limits}


async def serve(reactor: IReactorCore, target: str) -> None:
    """Serve ``target`` until stdin closes (or a bound on the run's length)."""
    log_warnings_only()
    if target == BASELINE:
        listening = await TCP4ServerEndpoint(reactor, 0, interface=HOST).listen(BareWsApiFactory(reactor))
        port, stop = listening.getHost().port, listening.stopListening
    else:
        server = ExchangeServer(exchangesim_config(), reactor=reactor)
        await server.start()
        port, stop = server.port, server.stop
    try:
        await serve_until_stdin_closes(reactor, port, StdinControl(lambda line: None), SERVE_BOUND_S)
    finally:
        await stop()


# -- the load generator -----------------------------------------------------------------------------
def order_request(connection: int, number: int) -> bytes:
    """The ``number``-th signed ``order.place`` request of ``connection``."""
    params = {
        **ORDER,
        "newClientOrderId": f"b{connection}-{number}",
        "apiKey": API_KEY,
        "timestamp": int(time.time() * 1000),
    }
    signed = "&".join(f"{name}={params[name]}" for name in sorted(params)).encode()
    params["signature"] = sign_payload(API_SECRET, signed)
    return encode({"id": number, "method": "order.place", "params": params})


class OrderEntryClient(CountingClient):
    """A WS-API connection with one ``order.place`` in flight; the next leaves when the answer arrives."""

    path = "/ws-api/v3"

    def __init__(self, port: int, connection: int, load: Load) -> None:
        super().__init__(port, [], None)  # no subscription: ``subscribed`` fires once the socket is open
        self._connection = connection
        self._load = load
        self._placed = 0
        self._sent = 0.0
        self.request: bytes = b""
        self.first_answer: bytes | None = None

    def send_order(self) -> None:
        self._placed += 1
        self.request = order_request(self._connection, self._placed)
        self._sent = time.perf_counter()
        self._transport.write(masked_frame(self.request))

    def _text(self, buffer: bytearray, start: int, end: int) -> None:
        done = time.perf_counter()
        if self.first_answer is None:
            self.first_answer = bytes(buffer[start:end])
        if buffer.find(OK, start, end) >= 0:
            self._load.record(self._sent, done, 200, b"")
        else:
            answer = bytes(buffer[start:end])
            self._load.record(self._sent, done, json.loads(answer).get("status", 0), answer)
        if done < self._load.end:
            self.send_order()


async def load_target(port: int, pid: int, args: argparse.Namespace) -> tuple[Load, list[OrderEntryClient]]:
    """Open the connections to the server on ``port`` (process ``pid``), and run warm-up and window."""
    loop = asyncio.get_running_loop()
    load = Load(float("inf"), float("inf"))
    clients = []
    for connection in range(args.connections):
        _, client = await loop.create_connection(
            lambda connection=connection: OrderEntryClient(port, connection, load), HOST, port
        )
        clients.append(client)
    await asyncio.wait_for(asyncio.gather(*(client.subscribed for client in clients)), READY_TIMEOUT_S)
    now = time.perf_counter()
    load.start, load.end = now + args.warmup, now + args.warmup + args.seconds
    for client in clients:
        client.send_order()
    await asyncio.sleep(args.warmup)
    cpu, server = time.process_time(), cpu_seconds(pid)
    await asyncio.sleep(args.seconds)
    load.generator_cpu = time.process_time() - cpu
    load.server_cpu = cpu_seconds(pid) - server
    for client in clients:
        client.close()
    return load, clients


async def measure(target: str, args: argparse.Namespace) -> dict[str, Any]:
    """Start ``target``'s server process, load it, stop it, and return the run's figures."""
    profile = ["-m", "cProfile", "-o", os.path.join(args.profile, f"{target}.prof")] if args.profile else []
    server, port = await start_server([*profile, os.path.abspath(__file__), "--serve", target])
    try:
        load, clients = await load_target(port, server.pid, args)
    finally:
        await stop_server(server)
    return figures(target, load, clients, args)


def figures(
    target: str, load: Load, clients: list[OrderEntryClient], args: argparse.Namespace
) -> dict[str, Any]:
    """The JSON line of one run; the first few answers that were no success go to stderr."""
    latencies = sorted(load.latencies)
    if not latencies:
        raise RuntimeError(f"{target} answered no request in the measured window")
    for answer, count in load.errors.most_common(ERRORS_SHOWN):
        print(f"{target}: {count} x {answer}", file=sys.stderr)
    round_trips_per_s = len(latencies) / args.seconds
    server_cpu_busy = load.server_cpu / args.seconds
    first = clients[0].first_answer or b"{}"
    return {
        "target": target,
        "connections": args.connections,
        "seconds": args.seconds,
        "round_trips": len(latencies),
        "round_trips_per_s": round(round_trips_per_s),
        "errors": sum(load.errors.values()),
        "p50_ms": percentile(latencies, 0.50),
        "p90_ms": percentile(latencies, 0.90),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": round(latencies[-1] * 1000, 3),
        "server_cpu_busy": round(server_cpu_busy, 3),
        "round_trips_per_server_cpu_s": round(round_trips_per_s / server_cpu_busy),
        "server_cpu_us_per_round_trip": round(load.server_cpu / len(latencies) * 1e6, 1),
        "generator_cpu_busy": round(load.generator_cpu / args.seconds, 3),
        "order_status": json.loads(first).get("result", {}).get("status"),
        "request_bytes": len(clients[0].request),
        "reply_bytes": len(first),
    }


async def run(args: argparse.Namespace) -> None:
    targets = sorted(args.targets, key=TARGETS.index)
    runs: dict[str, list[dict[str, Any]]] = {target: [] for target in targets}
    for _ in range(args.repeat):  # interleaved, so drift on a busy machine hits every target alike
        for target in targets:
            runs[target].append(await measure(target, args))
    lines = {target: median_run(runs[target], "round_trips_per_s") for target in targets}
    if BASELINE in lines:
        base = lines[BASELINE]
        for target, line in lines.items():
            if target != BASELINE:
                line["ratio_vs_bare"] = round(line["round_trips_per_s"] / base["round_trips_per_s"], 3)
                per_cpu = line["round_trips_per_server_cpu_s"] / base["round_trips_per_server_cpu_s"]
                line["ratio_vs_bare_per_cpu"] = round(per_cpu, 3)
                line["runs_ratio_vs_bare"] = [
                    round(ours["round_trips_per_s"] / bare["round_trips_per_s"], 3)
                    for ours, bare in zip(runs[target], runs[BASELINE], strict=True)
                ]
    for line in lines.values():
        print(json.dumps(line), flush=True)


def main() -> None:
    args = parse_args()
    if args.serve:
        react(lambda reactor: Deferred.fromCoroutine(serve(reactor, args.serve)))
    else:
        if args.profile:
            os.makedirs(args.profile, exist_ok=True)
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
