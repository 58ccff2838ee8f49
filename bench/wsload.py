"""The load side shared by the WebSocket benchmarks: cheap asyncio clients that subscribe and count.

Each client speaks just enough RFC 6455 to subscribe and read text frames, and counts the ``"seq":``
keys of each frame (a BATCH frame's messages included) without parsing it; a ``SeqChecker`` parses
every message of a few clients and counts breaks in each stream's ``seq``. aiohttp costs twice the
CPU per frame, CPU the server would lose on a two-core machine.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time

READY_TIMEOUT_S = 60.0  # connecting and subscribing every client
SUBSCRIBED = b'"type":"SUBSCRIBED"'
ERROR = b'"type":"ERROR"'
SEQ = b'"seq":'


def symbol_names(count: int) -> list[str]:
    return [f"S{i:02d}/USD" for i in range(count)]


class SeqChecker:
    """Parses every message and counts breaks in each stream's contiguous ``seq``."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, str], int] = {}
        self.checked = 0
        self.gaps = 0

    def check(self, payload: bytearray) -> None:
        message = json.loads(payload)
        for item in message["messages"] if message["type"] == "BATCH" else (message,):
            seq = item.get("seq")
            if seq is not None:
                key = item["channel"], item["symbol"]
                last = self.last.get(key)
                self.checked += 1
                self.gaps += last is not None and seq != last + 1
                self.last[key] = seq


class CountingClient(asyncio.Protocol):
    """A WebSocket client that subscribes, then counts the updates (``"seq":`` keys) of each text frame."""

    _transport: asyncio.Transport
    path = "/ws"  # the request target of the upgrade

    def __init__(self, port: int, operations: list[bytes], checker: SeqChecker | None) -> None:
        self._port = port
        self._operations = operations
        self.checker = checker
        self._buffer = bytearray()
        self._open = False
        self._acks = 0
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.frames = 0
        self.updates = 0
        self.close_code: int | None = None
        self.lost = False  # the connection ended

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self._port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self._fail(f"handshake refused: {bytes(buffer[:end])!r}")
                return
            del buffer[: end + 4]
            self._open = True
            self._transport.writelines(masked_frame(operation) for operation in self._operations)
            if not self._operations:  # nothing to subscribe: open is all there is to wait for
                self.subscribed.set_result(None)
        at, size = 0, len(buffer)
        while size - at >= 2:  # server frames: FIN set, unmasked, lengths of 7, 16 or 64 bits
            start, length = at + 2, buffer[at + 1] & 0x7F
            if length >= 126:
                start += 2 if length == 126 else 8
                if start > size:
                    break
                length = int.from_bytes(buffer[at + 2 : start], "big")
            end = start + length
            if end > size:
                break
            opcode, at = buffer[at] & 0x0F, end
            if opcode == 0x1:
                self._text(buffer, start, end)
            elif opcode == 0x8:
                self.close_code = int.from_bytes(buffer[start : start + 2], "big") if length >= 2 else 1005
                self._transport.close()
        del buffer[:at]

    def _text(self, buffer: bytearray, start: int, end: int) -> None:
        self.frames += 1
        self.updates += buffer.count(SEQ, start, end)
        if self.checker is not None:
            self.checker.check(buffer[start:end])
        if not self.subscribed.done():
            if buffer.count(ERROR, start, end):
                self._fail(f"subscription refused: {bytes(buffer[start:end])!r}")
                return
            self._acks += buffer.count(SUBSCRIBED, start, end)
            if self._acks == len(self._operations):
                self.subscribed.set_result(None)

    def _fail(self, reason: str) -> None:
        if not self.subscribed.done():
            self.subscribed.set_exception(ConnectionError(reason))
        self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.subscribed.done():
            self.subscribed.set_exception(ConnectionError(f"connection lost before subscribing: {exc}"))

    def close(self) -> None:
        self._transport.close()


def masked_frame(payload: bytes) -> bytes:
    """One client text frame of under 64 KiB, masked as RFC 6455 requires of clients."""
    size = len(payload)
    assert size < 1 << 16
    head = bytes((0x81, 0x80 | size)) if size < 126 else bytes((0x81, 0x80 | 126)) + size.to_bytes(2, "big")
    mask = os.urandom(4)
    keys = int.from_bytes((mask * (size // 4 + 1))[:size], "big")  # XOR the payload as one integer
    return head + mask + (int.from_bytes(payload, "big") ^ keys).to_bytes(size, "big")


def totals(clients: list[CountingClient]) -> tuple[int, int, float, float]:
    return (
        sum(c.updates for c in clients),
        sum(c.frames for c in clients),
        time.perf_counter(),
        time.process_time(),
    )


async def run_load(
    port: int, operations: list[bytes], clients: int, check_clients: int, warmup: float, seconds: float
) -> None:
    """Connect and subscribe every client, then print ``mark`` around the window and the figures."""
    loop = asyncio.get_running_loop()

    async def connect(checked: bool) -> CountingClient:
        checker = SeqChecker() if checked else None
        _, client = await loop.create_connection(
            lambda: CountingClient(port, operations, checker), "127.0.0.1", port
        )
        return client

    connected = [await connect(i < check_clients) for i in range(clients)]
    await asyncio.wait_for(asyncio.gather(*(client.subscribed for client in connected)), READY_TIMEOUT_S)
    await asyncio.sleep(warmup)
    updates0, frames0, wall0, cpu0 = totals(connected)
    print("mark", flush=True)
    await asyncio.sleep(seconds)
    updates1, frames1, wall1, cpu1 = totals(connected)
    print("mark", flush=True)
    checkers = [client.checker for client in connected if client.checker is not None]
    figures = {
        "updates": updates1 - updates0,
        "frames": frames1 - frames0,
        "wall": wall1 - wall0,
        "client_cpu_busy": round((cpu1 - cpu0) / (wall1 - wall0), 3),
        "seq_checked": sum(checker.checked for checker in checkers),
        "seq_gaps": sum(checker.gaps for checker in checkers),
        "closed": sum(client.close_code is not None for client in connected),
    }
    print(json.dumps(figures), flush=True)
    for client in connected:
        client.close()
