"""python-binance 1.0.37 (``Client``, ``AsyncClient``, ``BinanceSocketManager``,
``ThreadedWebsocketManager``) against the daemon.

python-binance takes no base URL: its URLs are class attributes (``API_URL``, ``WS_API_URL``,
``STREAM_URL``), set once here so every client points at the daemon, the ones
``ThreadedWebsocketManager`` makes for itself included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from binance import AsyncClient, BinanceSocketManager, Client, ThreadedWebsocketManager
from binance.base_client import BaseClient
from binance.exceptions import BinanceAPIException
from binance.ws.reconnecting_websocket import ReconnectingWebsocket
from driver_io import LOW_BID, PRICE, SYMBOL, WAIT, Inbox, Target, event_kind, run

SOCKET_TIMEOUT = 1
"""Seconds a python-binance socket waits for a message (10 by default) before it looks again whether
it is closing: a quiet market sends few, and each close would wait that long; also how long a WS-API
request waits for its answer."""


def point_at(target: Target) -> None:
    ReconnectingWebsocket.TIMEOUT = SOCKET_TIMEOUT
    BaseClient.API_URL = f"{target.base_url}/api"
    BaseClient.WS_API_URL = f"{target.ws_url}/ws-api/v3"
    BinanceSocketManager.STREAM_URL = f"{target.ws_url}/"


def client(target: Target, account: str | None = None) -> Client:
    return Client(*(target.keys[account] if account else (None, None)))


async def async_client(target: Target, account: str | None = None) -> AsyncClient:
    return await AsyncClient.create(*(target.keys[account] if account else (None, None)))


def refusal(call: Callable[[], Any]) -> dict[str, Any]:
    """The ``BinanceAPIException`` ``call`` raises, as its fields."""
    try:
        call()
    except BinanceAPIException as error:
        return {"type": type(error).__name__, "status": error.status_code, "code": error.code}
    raise AssertionError("the call succeeded")


def market_data(target: Target) -> dict[str, Any]:
    alice, bob, public = client(target, "alice"), client(target, "bob"), client(target)
    alice.order_limit_sell(symbol=SYMBOL, quantity="0.5", price=PRICE)
    bob.order_market_buy(symbol=SYMBOL, quantity="0.2")
    alice.order_limit_buy(symbol=SYMBOL, quantity="0.1", price=LOW_BID)
    try:
        return {
            "ping": public.ping(),
            "time": public.get_server_time(),
            "exchange_info": public.get_exchange_info(),
            "depth": public.get_order_book(symbol=SYMBOL, limit=5),
            "trades": public.get_recent_trades(symbol=SYMBOL, limit=1),
            "klines": public.get_klines(symbol=SYMBOL, interval=Client.KLINE_INTERVAL_1MINUTE, limit=1),
            "ticker_24hr": public.get_ticker(symbol=SYMBOL),
            "ticker_price": public.get_symbol_ticker(symbol=SYMBOL),
            "book_ticker": public.get_orderbook_ticker(symbol=SYMBOL),
            "avg_price": public.get_avg_price(symbol=SYMBOL),
        }
    finally:
        alice.cancel_all_open_orders(symbol=SYMBOL)


def trading(target: Target) -> dict[str, Any]:
    alice, bob = client(target, "alice"), client(target, "bob")
    report: dict[str, Any] = {"account_before": alice.get_account()}
    ask = report["ask"] = alice.order_limit_sell(symbol=SYMBOL, quantity="0.3", price=PRICE)
    report["taken"] = bob.order_market_buy(symbol=SYMBOL, quantity="0.1")
    bid = report["bid"] = alice.order_limit_buy(symbol=SYMBOL, quantity="0.1", price=LOW_BID)
    report["queried"] = alice.get_order(symbol=SYMBOL, orderId=ask["orderId"])
    report["open_orders"] = alice.get_open_orders(symbol=SYMBOL)
    report["canceled"] = alice.cancel_order(symbol=SYMBOL, orderId=bid["orderId"])  # DELETE, form body
    report["canceled_all"] = alice.cancel_all_open_orders(symbol=SYMBOL)
    report["open_after"] = alice.get_open_orders(symbol=SYMBOL)
    report["my_trades"] = alice.get_my_trades(symbol=SYMBOL, orderId=ask["orderId"])
    report["account_after"] = alice.get_account()
    report["insufficient_balance"] = refusal(
        lambda: bob.order_limit_buy(symbol=SYMBOL, quantity="100", price=LOW_BID)
    )
    report["bad_symbol"] = refusal(lambda: alice.get_symbol_ticker(symbol="DOGEUSD"))
    return report


async def first(
    socket: Any, accept: Callable[[dict[str, Any]], bool] = lambda message: True
) -> dict[str, Any]:
    """The first message from ``socket`` that ``accept`` takes; TimeoutError after ``WAIT`` s."""
    async with asyncio.timeout(WAIT):
        while True:
            message = await socket.recv()
            if message.get("e") == "error":
                raise RuntimeError(f"the socket failed: {message}")
            if accept(message):
                return message


async def streams(target: Target) -> dict[str, Any]:
    """Trade, depth diff, ticker and kline through ``BinanceSocketManager``'s sockets, each its own
    ``/ws/<stream>`` connection, subscribed once connected."""
    public, alice, bob = (
        await async_client(target),
        await async_client(target, "alice"),
        await async_client(target, "bob"),
    )
    manager = BinanceSocketManager(public)
    sockets = {
        "trade": manager.trade_socket(SYMBOL),
        "depthUpdate": manager.depth_socket(SYMBOL, interval=100),
        "24hrTicker": manager.symbol_ticker_socket(SYMBOL),
        "kline": manager.kline_socket(SYMBOL, AsyncClient.KLINE_INTERVAL_1MINUTE),
    }
    await asyncio.gather(*(socket.__aenter__() for socket in sockets.values()))
    try:
        await alice.order_limit_sell(symbol=SYMBOL, quantity="0.1", price=PRICE)
        await bob.order_market_buy(symbol=SYMBOL, quantity="0.1")
        report = {kind: await first(socket) for kind, socket in sockets.items() if kind != "kline"}
        report["kline"] = await first(sockets["kline"], lambda message: not message["k"]["x"])
        return report
    finally:
        await asyncio.gather(*(socket.__aexit__(None, None, None) for socket in sockets.values()))
        await asyncio.gather(*(each.close_connection() for each in (public, alice, bob)))


def threaded_streams(target: Target) -> dict[str, Any]:
    """The partial book through ``ThreadedWebsocketManager`` (sent every 100 ms, traded or not)."""
    manager, inbox = ThreadedWebsocketManager(), Inbox()
    manager.start()
    try:
        manager.start_depth_socket(
            lambda message: inbox.put("partialDepth", message), SYMBOL, depth="5", interval=100
        )
        return inbox.wait_for("partialDepth")
    finally:
        manager.stop()


async def user_data(target: Target) -> dict[str, Any]:
    """The listen key's REST calls, and ``user_socket`` (a WS-API ``userDataStream.subscribe.signature``,
    ``userDataStream.unsubscribe`` on leaving) following an order placed and canceled."""
    alice = await async_client(target, "alice")
    try:
        listen_key = await alice.stream_get_listen_key()
        report: dict[str, Any] = {"created": listen_key, "renewed": await alice.stream_keepalive(listen_key)}
        wanted = {"executionReport NEW", "executionReport CANCELED", "outboundAccountPosition"}
        events: dict[str, Any] = {}
        async with BinanceSocketManager(alice).user_socket() as socket:
            bid = report["bid"] = await alice.order_limit_buy(symbol=SYMBOL, quantity="0.1", price=LOW_BID)
            await alice.cancel_order(symbol=SYMBOL, orderId=bid["orderId"])
            while not wanted <= events.keys():
                event = await first(socket)
                events.setdefault(event_kind(event), event)
        report["events"] = events
        report["closed"] = await alice.stream_close(listen_key)
        return report
    finally:
        await alice.close_connection()


def ws_api(target: Target) -> dict[str, Any]:
    """``ws_create_order`` / ``ws_cancel_order``: the synchronous client's WS-API requests."""
    alice = client(target, "alice")
    try:
        placed = alice.ws_create_order(
            symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", price=LOW_BID
        )
        canceled = alice.ws_cancel_order(symbol=SYMBOL, orderId=placed["orderId"])
        refused = refusal(
            lambda: alice.ws_create_order(
                symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="100", price=LOW_BID
            )
        )
        return {"placed": placed, "canceled": canceled, "refused": refused}
    finally:
        alice.loop.run_until_complete(alice.ws_api.close())


if __name__ == "__main__":
    run(market_data, trading, streams, user_data, ws_api, threaded_streams, setup=point_at)
