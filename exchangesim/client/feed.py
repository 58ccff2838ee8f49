"""``Feed``: a client's WebSocket subscriptions kept alive through disconnects, each stream's ``seq``
checked: gaps and duplicates are noted in the ``Observations``, and duplicates are not handed on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ._client import ExchangeClient
from .errors import TransportError, WebSocketClosed
from .observations import Observations

__all__ = ["Feed"]

DATA_TYPES = ("MARKET_DATA", "ACCOUNT_DATA")


class Feed:
    """Subscribes ``subscriptions`` (``(channel, symbol or None)``) on ``client``'s WebSocket; when the
    server ends the connection, ``next`` reconnects and resubscribes (each stream starts over with its
    snapshot) and carries on. ``connections`` counts the connections opened."""

    def __init__(
        self,
        client: ExchangeClient,
        observations: Observations,
        subscriptions: Sequence[tuple[str, str | None]],
        *,
        max_attempts: int = 10,
        retry_delay: float = 0.05,
    ) -> None:
        self._client = client
        self._observations = observations
        self.subscriptions = tuple(subscriptions)
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.connections = 0
        self._last: dict[tuple[str, str], int] = {}  # per stream, on this connection
        self._missing: dict[tuple[str, str], set[int]] = {}

    async def __aenter__(self) -> Feed:
        await self._connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the connection, noting what had arrived unread (a duplicate's copy, say)."""
        await self._client.close_ws()
        while True:
            try:
                message = await self._client.receive_ws_message()
            except WebSocketClosed:
                return
            if message.get("type") in DATA_TYPES:
                self._in_order(message)

    async def next(self, timeout: float) -> dict[str, Any]:
        """The next stream message that is not a duplicate (``TimeoutError`` after ``timeout`` s of none)."""
        while True:
            try:
                message = await self._client.receive_ws_message(timeout)
            except WebSocketClosed:
                self._observations.note("disconnect")
                await self._connect()
                continue
            if message.get("type") in DATA_TYPES and self._in_order(message):
                return message

    async def _connect(self) -> None:
        """Open a connection and subscribe everything, retrying what the server refuses or drops."""
        for attempt in range(self.max_attempts):
            self._last.clear()
            self._missing.clear()
            opened = False
            try:
                await self._client.connect_ws()
                opened = True
                self.connections += 1
                self._observations.connected()
                for channel, symbol in self.subscriptions:
                    await self._client.subscribe(channel, symbol)
            except TransportError as error:
                if opened and isinstance(error, WebSocketClosed):
                    self._observations.note("disconnect")
                await self._client.close_ws()
                await asyncio.sleep(self.retry_delay * 2**attempt)
                continue
            return
        raise TransportError(f"could not subscribe after {self.max_attempts} attempts")

    def _in_order(self, message: dict[str, Any]) -> bool:
        """Note a gap or a duplicate in the message's stream; False for a duplicate."""
        seq = message.get("seq")
        if not isinstance(seq, int):
            return True
        channel = message.get("channel", "")
        label = message.get("symbol") or message.get("account") or ""
        stream = (channel, label)
        self._observations.received(channel, label, seq)
        last = self._last.get(stream)
        if last is None or seq == last + 1:
            self._last[stream] = seq
            return True
        if seq > last + 1:
            missing = range(last + 1, seq)
            self._missing.setdefault(stream, set()).update(missing)
            for lost in missing:
                self._observations.note("gap", (channel, label, lost))
            self._last[stream] = seq
            return True
        if seq in self._missing.get(stream, ()):  # late, not lost: overtaken by later ones
            self._missing[stream].discard(seq)
            self._observations.retract("gap", (channel, label, seq))
            return True
        self._observations.note("duplicate", (channel, label, seq))
        return False
