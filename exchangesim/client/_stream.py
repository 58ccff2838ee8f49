"""One native WebSocket connection: a reader task, replies matched to the ops awaiting them, data in order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from ._wire import decode_json
from .errors import RequestTimeout, TransportError, WebSocketClosed, error_from_message

__all__ = ["MALFORMED", "WebSocketStream"]

MALFORMED = "MALFORMED"
"""``type`` of the message delivered for a frame that is not a JSON object: ``{"type", "raw", "error"}``."""

# The reply that answers each op; an ERROR may answer any of them.
_OP_OF_REPLY = {
    "SUBSCRIBED": "subscribe",
    "UNSUBSCRIBED": "unsubscribe",
    "AUTHENTICATED": "auth",
    "PONG": "ping",
}
_CLOSED = object()


class _Pending:
    """An op sent and not yet answered."""

    __slots__ = ("channel", "future", "op", "symbol")

    def __init__(self, frame: dict[str, Any]) -> None:
        self.op = frame["op"]
        self.channel = frame.get("channel")
        self.symbol = frame.get("symbol")
        self.future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    def is_answered_by(self, message: dict[str, Any]) -> bool:
        kind = message.get("type")
        if kind == "ERROR":
            op = _echoed(message, "op")
            # The server answers ops in order, so an error that names no op answers the oldest one waiting.
            if op is None:
                return True
            return (
                op == self.op
                and _same(_echoed(message, "channel"), self.channel, loose=True)
                and _same(_echoed(message, "symbol"), self.symbol, loose=True)
            )
        if _OP_OF_REPLY.get(kind) != self.op:
            return False
        if self.op in ("subscribe", "unsubscribe"):
            return _same(message.get("channel"), self.channel) and _same(message.get("symbol"), self.symbol)
        return True


class WebSocketStream:
    """Reads frames as they come, unpacks ``BATCH`` frames, hands replies to the ops awaiting them and
    queues everything else for ``receive``.

    The queue holds ``buffer_size`` messages; when it is full the reader stops reading, so a consumer
    that falls behind shows up at the server as a slow client (and an op's reply waits behind the data).
    """

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, *, buffer_size: int, timeout: float | None
    ) -> None:
        self._ws = ws
        self._timeout = timeout
        self._queue: asyncio.Queue[Any] = asyncio.Queue(buffer_size)
        self._pending: list[_Pending] = []
        self._closed: WebSocketClosed | None = None
        self.closed_by_client = False
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @property
    def closed(self) -> bool:
        return self._closed is not None

    async def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send an op and return its reply; raises the typed error of an ``ERROR`` reply."""
        if self._closed is not None:
            raise self._closed_error()
        pending = _Pending(frame)
        self._pending.append(pending)
        try:
            try:
                await self._ws.send_str(json.dumps(frame, separators=(",", ":")))
            except (aiohttp.ClientError, ConnectionError) as error:
                raise TransportError(f"could not send {frame['op']}: {error}") from error
            async with asyncio.timeout(self._timeout):
                reply = await pending.future
        except TimeoutError:
            raise RequestTimeout(f"no reply to {frame['op']} within {self._timeout} s") from None
        finally:
            if pending in self._pending:
                self._pending.remove(pending)
        if reply.get("type") == "ERROR":
            raise error_from_message(reply)
        return reply

    async def receive(self, timeout: float | None) -> dict[str, Any]:
        """The next message; ``TimeoutError`` after ``timeout`` s with none; ``WebSocketClosed`` if closed."""
        if self._closed is not None and self._queue.empty():
            raise self._closed_error()
        message = await asyncio.wait_for(self._queue.get(), timeout)
        if message is _CLOSED:
            raise self._closed_error()
        return message

    async def messages(self, timeout: float | None) -> AsyncIterator[dict[str, Any]]:
        """Messages until the client closes the stream; a close by the server raises ``WebSocketClosed``."""
        while True:
            try:
                message = await self.receive(timeout)
            except WebSocketClosed:
                if self.closed_by_client:
                    return
                raise
            yield message

    async def close(self) -> None:
        """Close the connection; messages already received stay readable."""
        self.closed_by_client = True
        await self._ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        close = WebSocketClosed("the WebSocket closed")
        try:
            while True:
                frame = await self._ws.receive()
                if frame.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    for message in _unpack(frame.data):
                        if not self._answer(message):
                            await self._queue.put(message)
                    continue
                if frame.type is aiohttp.WSMsgType.ERROR:
                    close = WebSocketClosed(f"the WebSocket failed: {frame.data!r}", self._ws.close_code)
                    close.__cause__ = frame.data
                elif not self.closed_by_client:
                    code, reason = self._ws.close_code, frame.extra or ""
                    text = f"the server closed the WebSocket (code {code}: {reason or 'no reason'})"
                    close = WebSocketClosed(text, code, reason)
                break
        except Exception as error:
            close = WebSocketClosed(f"the WebSocket reader failed: {error!r}")
            close.__cause__ = error
            await self._ws.close()
        finally:
            if self.closed_by_client:
                close = WebSocketClosed("the WebSocket was closed by the client", self._ws.close_code)
            self._finish(close)

    def _answer(self, message: dict[str, Any]) -> bool:
        """Resolve the op ``message`` replies to, if any."""
        if message.get("type") != "ERROR" and message.get("type") not in _OP_OF_REPLY:
            return False
        for pending in self._pending:
            if pending.is_answered_by(message):
                self._pending.remove(pending)
                if not pending.future.done():
                    pending.future.set_result(message)
                return True
        return False

    def _finish(self, close: WebSocketClosed) -> None:
        self._closed = close
        for pending in self._pending:
            if not pending.future.done():
                pending.future.set_exception(self._closed_error())
        self._pending.clear()
        # A receiver can only be waiting when the queue is empty; otherwise it sees the close once drained.
        if self._queue.empty():
            self._queue.put_nowait(_CLOSED)

    def _closed_error(self) -> WebSocketClosed:
        """A fresh exception for each raise, so tracebacks do not pile up on one instance."""
        assert self._closed is not None
        error = WebSocketClosed(self._closed.message, self._closed.close_code, self._closed.reason)
        error.__cause__ = self._closed.__cause__
        return error


def _unpack(data: str | bytes) -> list[dict[str, Any]]:
    """The messages of one frame (a ``BATCH`` frame's one by one); a frame that is not JSON as MALFORMED."""
    try:
        message = decode_json(data)
    except ValueError as error:
        return [_malformed(data, str(error))]
    if not isinstance(message, dict):
        return [_malformed(data, "not a JSON object")]
    if message.get("type") == "BATCH" and isinstance(message.get("messages"), list):
        return [
            item if isinstance(item, dict) else _malformed(item, "not a JSON object")
            for item in message["messages"]
        ]
    return [message]


def _malformed(raw: Any, error: str) -> dict[str, Any]:
    return {"type": MALFORMED, "raw": raw, "error": error}


def _echoed(message: dict[str, Any], key: str) -> Any:
    """A field an ERROR echoes from the op, at the top level or inside ``error``."""
    if key in message:
        return message[key]
    error = message.get("error")
    return error.get(key) if isinstance(error, dict) else None


def _same(given: Any, sent: Any, *, loose: bool = False) -> bool:
    """Whether a reply names what the op sent (letters' case aside); ``loose``: a missing name matches."""
    if given is None:
        return loose or sent is None
    return sent is not None and str(given).casefold() == str(sent).casefold()
