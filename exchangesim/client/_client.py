"""``ExchangeClient``: the native REST API and WebSocket of exchangesim, for asyncio programs."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

import aiohttp
from yarl import URL

from ..signing import sign
from ._stream import WebSocketStream
from ._wire import (
    Amount,
    decimal_text,
    decode_json,
    encode_json,
    new_client_order_id,
    path_segment,
    request_target,
)
from .errors import (
    ExchangeError,
    InvalidResponse,
    RequestTimeout,
    TransportError,
    WebSocketClosed,
    error_from_response,
)

__all__ = ["ExchangeClient"]

API_PREFIX = "/api/v1"


class ExchangeClient:
    """A client of one exchangesim daemon: ``async with ExchangeClient(base_url) as client: ...``.

    REST methods return the decoded JSON object; prices, quantities and amounts stay decimal strings (a
    number that is not an integer decodes as ``Decimal``, never ``float``). A refusal raises a subclass of
    ``ExchangeError``; no response within ``timeout`` seconds raises ``RequestTimeout``.

    With ``api_key`` the requests act for that key's account (without it, for the server's default
    account); with ``api_secret`` too, every request is signed and ``connect_ws`` authenticates, which the
    private channels (ORDERS, FILLS, BALANCES) need. ``ws_buffer_size`` bounds the WebSocket messages held
    for ``receive_ws_message``; a frame that is not JSON arrives as ``{"type": "MALFORMED", "raw",
    "error"}`` rather than ending the stream.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8765",
        api_key: str | None = None,
        api_secret: str | None = None,
        timeout: float | None = 10.0,
        *,
        ws_buffer_size: int = 10_000,
    ) -> None:
        if api_secret is not None and api_key is None:
            raise ValueError("api_secret needs the api_key it belongs to")
        url = URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"base_url must be an http:// or https:// URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._origin = str(url.origin())
        self._prefix = url.raw_path.rstrip("/")
        self.api_key = api_key
        self._api_secret = api_secret
        self._last_timestamp = 0
        self.timeout = timeout
        self._ws_buffer_size = ws_buffer_size
        self._session: aiohttp.ClientSession | None = None
        self._stream: WebSocketStream | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the WebSocket, if open, and the HTTP connections."""
        await self.close_ws()
        if self._session is not None:
            await self._session.close()
            self._session = None

    # Market data

    async def get_health(self) -> dict[str, Any]:
        """``{status, version, uptime_ms, seed}``."""
        return await self._request("GET", "/health")

    async def get_symbols(self) -> dict[str, Any]:
        """``{"symbols": [...]}``: each instrument with its steps, limits and fees."""
        return await self._request("GET", "/symbols")

    async def get_ticker(self, symbol: str) -> dict[str, Any]:
        """Last price, best bid and ask, and the 24 h figures of ``symbol`` (e.g. ``"BTC/USD"``)."""
        return await self._request("GET", "/ticker", {"symbol": symbol})

    async def get_orderbook(self, symbol: str, depth: int = 20) -> dict[str, Any]:
        """``{symbol, sequence, timestamp, bids, asks}`` with levels as ``[price, quantity]``."""
        return await self._request("GET", "/orderbook", {"symbol": symbol, "depth": depth})

    async def get_trades(self, symbol: str, limit: int = 50) -> dict[str, Any]:
        """``{symbol, trades}``: the most recent public trades."""
        return await self._request("GET", "/trades", {"symbol": symbol, "limit": limit})

    async def get_candles(self, symbol: str, interval: str = "1m", limit: int = 100) -> dict[str, Any]:
        """``{symbol, interval, candles}``: OHLCV candles."""
        query = {"symbol": symbol, "interval": interval, "limit": limit}
        return await self._request("GET", "/candles", query)

    # Orders

    async def place_order(
        self,
        symbol: str,
        side: str,
        type: str,
        quantity: Amount | None = None,
        price: Amount | None = None,
        *,
        time_in_force: str | None = None,
        stop_price: Amount | None = None,
        quote_quantity: Amount | None = None,
        client_order_id: str | None = None,
        stp: str | None = None,
    ) -> dict[str, Any]:
        """Place an order; returns it with its ``fills``.

        Without a ``client_order_id`` one is generated. Any exception raised carries it as
        ``client_order_id``: after a ``TransportError`` the order may exist, and
        ``get_order_by_client_id`` tells.
        """
        client_order_id = client_order_id or new_client_order_id()
        body = {
            "symbol": symbol,
            "side": side,
            "type": type,
            "quantity": quantity,
            "price": price,
            "time_in_force": time_in_force,
            "stop_price": stop_price,
            "quote_quantity": quote_quantity,
            "client_order_id": client_order_id,
            "stp": stp,
        }
        for name in ("quantity", "price", "stop_price", "quote_quantity"):
            if body[name] is not None:
                body[name] = decimal_text(name, body[name])
        try:
            return await self._request("POST", "/orders", body=_present(body))
        except ExchangeError as error:
            error.client_order_id = client_order_id
            raise

    async def cancel_order(self, order_id: str) -> dict[str, Any]:
        """Cancel one order; returns it as canceled."""
        return await self._request("DELETE", f"/orders/{path_segment(order_id)}")

    async def cancel_all_orders(self, symbol: str | None = None) -> dict[str, Any]:
        """Cancel every open order (of ``symbol``, when given); returns ``{"canceled": [...]}``."""
        return await self._request("DELETE", "/orders", {"symbol": symbol})

    async def get_order(self, order_id: str) -> dict[str, Any]:
        """One order of this account, by the exchange's id."""
        return await self._request("GET", f"/orders/{path_segment(order_id)}")

    async def get_order_by_client_id(self, client_order_id: str) -> dict[str, Any]:
        """One order of this account, by its client order id (reconciliation after a lost ack)."""
        return await self._request("GET", f"/orders/by-client-id/{path_segment(client_order_id)}")

    async def get_open_orders(self, symbol: str | None = None) -> dict[str, Any]:
        """``{"orders": [...]}``: this account's open orders."""
        return await self._request("GET", "/orders", {"symbol": symbol})

    async def get_orders(self, symbol: str | None = None, status: str | None = "ALL") -> dict[str, Any]:
        """``{"orders": [...]}``: orders in ``status`` (a status name, or ``"ALL"``)."""
        return await self._request("GET", "/orders", {"symbol": symbol, "status": status})

    async def replace_order(
        self, order_id: str, quantity: Amount | None = None, price: Amount | None = None
    ) -> dict[str, Any]:
        """Amend an open order's quantity and/or price; returns the amended order."""
        if quantity is None and price is None:
            raise ValueError("replace_order needs a quantity, a price or both")
        body = {
            name: decimal_text(name, value)
            for name, value in (("quantity", quantity), ("price", price))
            if value is not None
        }
        return await self._request("POST", f"/orders/{path_segment(order_id)}/replace", body=body)

    # Account

    async def get_balance(self) -> dict[str, Any]:
        """``{account, balances: {ASSET: {available, locked, total}}}``."""
        return await self._request("GET", "/balance")

    async def get_positions(self) -> dict[str, Any]:
        """``{"positions": [...]}``: quantity, average price and PnL per symbol."""
        return await self._request("GET", "/positions")

    async def get_fills(self, symbol: str | None = None, limit: int = 100) -> dict[str, Any]:
        """``{"fills": [...]}``: this account's most recent fills."""
        return await self._request("GET", "/fills", {"symbol": symbol, "limit": limit})

    # WebSocket

    async def connect_ws(self) -> None:
        """Open the WebSocket (once); with a key and secret, authenticate it (``AuthenticationError``)."""
        if self._stream is not None and not self._stream.closed:
            return
        url = URL(self._origin).with_scheme("wss" if self._origin.startswith("https") else "ws")
        try:
            ws = await self._http().ws_connect(
                url.with_path(f"{self._prefix}/ws"),
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=self.timeout),
                decode_text=False,  # an injected invalid-UTF-8 frame becomes a MALFORMED message
            )
        except TimeoutError:
            raise RequestTimeout(f"no WebSocket handshake within {self.timeout} s") from None
        except aiohttp.ClientError as error:
            raise TransportError(f"could not open the WebSocket: {error}") from error
        self._stream = WebSocketStream(ws, buffer_size=self._ws_buffer_size, timeout=self.timeout)
        if self._api_secret is not None:
            timestamp = self._signing_timestamp()
            try:
                await self._stream.request(
                    {
                        "op": "auth",
                        "api_key": self.api_key,
                        "timestamp": timestamp,
                        "signature": sign(self._api_secret, timestamp, "GET", "/ws"),
                    }
                )
            except ExchangeError:
                await self.close_ws()
                raise

    async def close_ws(self) -> None:
        """Close the WebSocket, if open; REST calls keep working and ``connect_ws`` opens a new one."""
        if self._stream is not None:
            await self._stream.close()

    async def subscribe(self, channel: str, symbol: str | None = None, **options: Any) -> dict[str, Any]:
        """Subscribe and wait for the ``SUBSCRIBED`` ack, which is returned; data arriving meanwhile is kept.

        ``options`` go into the op as they are (``batch=True``; ``interval="1m"`` for CANDLES). A refusal
        raises its typed error (e.g. ``InvalidRequest`` for an unknown symbol).
        """
        return await self._ws_stream().request(_channel_op("subscribe", channel, symbol, options))

    async def unsubscribe(self, channel: str, symbol: str | None = None, **options: Any) -> dict[str, Any]:
        """Unsubscribe and wait for the ``UNSUBSCRIBED`` ack."""
        return await self._ws_stream().request(_channel_op("unsubscribe", channel, symbol, options))

    async def ping_ws(self) -> float:
        """Round-trip time of a ``ping`` op, in milliseconds."""
        started = time.perf_counter()
        await self._ws_stream().request({"op": "ping"})
        return (time.perf_counter() - started) * 1000

    async def receive_ws_message(self, timeout: float | None = None) -> dict[str, Any]:
        """The next WebSocket message (a ``BATCH`` frame's one at a time).

        Raises ``TimeoutError`` when none arrives within ``timeout`` seconds and ``WebSocketClosed`` once
        the connection is closed and every message received before has been read.
        """
        return await self._ws_stream().receive(timeout)

    def ws_messages(self, timeout: float | None = None) -> AsyncIterator[dict[str, Any]]:
        """``async for message in client.ws_messages()``: ends after ``close_ws``; a close by the server
        raises ``WebSocketClosed``, and ``timeout`` seconds without a message raise ``TimeoutError``."""
        return self._ws_stream().messages(timeout)

    def _ws_stream(self) -> WebSocketStream:
        if self._stream is None:
            raise WebSocketClosed("the WebSocket is not connected; call connect_ws() first")
        return self._stream

    # HTTP

    def _signing_timestamp(self) -> int:
        """Epoch milliseconds for the next signature, rising by at least 1 per call: the server accepts
        a signature once, so two identical requests in one millisecond need two timestamps."""
        self._last_timestamp = max(int(time.time() * 1000), self._last_timestamp + 1)
        return self._last_timestamp

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def _request(
        self, method: str, path: str, query: dict[str, Any] | None = None, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        target = request_target(f"{self._prefix}{API_PREFIX}{path}", query)
        data = b"" if body is None else encode_json(body)
        headers = {} if body is None else {"Content-Type": "application/json"}
        if self.api_key is not None:
            headers["X-API-Key"] = self.api_key
        if self._api_secret is not None:
            timestamp = self._signing_timestamp()
            headers["X-Timestamp"] = str(timestamp)
            headers["X-Signature"] = sign(self._api_secret, timestamp, method, target, data)
        url = URL(f"{self._origin}{target}", encoded=True)
        try:
            async with self._http().request(method, url, data=data or None, headers=headers) as response:
                raw = await response.read()
        except TimeoutError:
            raise RequestTimeout(f"no response to {method} {target} within {self.timeout} s") from None
        except aiohttp.ClientError as error:
            raise TransportError(f"{method} {target} got no response: {error}") from error
        if not 200 <= response.status <= 299:
            raise error_from_response(response.status, raw, response.headers.get("Retry-After"))
        try:
            payload = decode_json(raw)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            text = raw[:200].decode("utf-8", "replace")
            raise InvalidResponse(
                f"{method} {target} answered {response.status} with a body that is not a "
                f"JSON object: {text!r}",
                raw.decode("utf-8", "replace"),
            )
        return payload


def _channel_op(op: str, channel: str, symbol: str | None, options: dict[str, Any]) -> dict[str, Any]:
    frame = {"op": op, "channel": channel, **options}
    if symbol is not None:
        frame["symbol"] = symbol
    return frame


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}
