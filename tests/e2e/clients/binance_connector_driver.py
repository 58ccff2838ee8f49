"""binance-connector 3.13.0 (``binance.spot.Spot``, its websocket stream and WS-API clients) against the
daemon, pointed at it by ``base_url`` and ``stream_url`` as its README says for the testnet."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from binance.error import ClientError
from binance.spot import Spot
from binance.websocket.spot.websocket_api import SpotWebsocketAPIClient
from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient
from driver_io import LOW_BID, PRICE, SYMBOL, Inbox, Target, event_kind, run


def spot(target: Target, account: str | None = None) -> Spot:
    key, secret = target.keys[account] if account else (None, None)
    return Spot(key, secret, base_url=target.base_url)


def refusal(call: Callable[[], Any]) -> dict[str, Any]:
    """The ``ClientError`` ``call`` raises, as its fields."""
    try:
        call()
    except ClientError as error:
        return {"type": type(error).__name__, "status": error.status_code, "code": error.error_code}
    raise AssertionError("the call succeeded")


def limit(client: Spot, side: str, quantity: str, price: str) -> dict[str, Any]:
    return client.new_order(SYMBOL, side, "LIMIT", timeInForce="GTC", quantity=quantity, price=price)


def trade(alice: Spot, bob: Spot, quantity: str) -> None:
    """Alice asks ``quantity`` at ``PRICE``, bob takes it all."""
    limit(alice, "SELL", quantity, PRICE)
    bob.new_order(SYMBOL, "BUY", "MARKET", quantity=quantity)


def market_data(target: Target) -> dict[str, Any]:
    alice, bob, public = spot(target, "alice"), spot(target, "bob"), spot(target)
    limit(alice, "SELL", "0.5", PRICE)
    bob.new_order(SYMBOL, "BUY", "MARKET", quantity="0.2")
    limit(alice, "BUY", "0.1", LOW_BID)
    try:
        return {
            "ping": public.ping(),
            "time": public.time(),
            "exchange_info": public.exchange_info(symbol=SYMBOL),
            "depth": public.depth(SYMBOL, limit=5),
            "trades": public.trades(SYMBOL, limit=1),
            "klines": public.klines(SYMBOL, "1m", limit=1),
            "ticker_24hr": public.ticker_24hr(SYMBOL),
            "ticker_price": public.ticker_price(SYMBOL),
            "book_ticker": public.book_ticker(SYMBOL),
            "avg_price": public.avg_price(SYMBOL),
        }
    finally:
        alice.cancel_open_orders(SYMBOL)


def trading(target: Target) -> dict[str, Any]:
    alice, bob = spot(target, "alice"), spot(target, "bob")
    report: dict[str, Any] = {"account_before": alice.account()}
    ask = report["ask"] = limit(alice, "SELL", "0.3", PRICE)
    report["taken"] = bob.new_order(SYMBOL, "BUY", "MARKET", quantity="0.1")
    bid = report["bid"] = limit(alice, "BUY", "0.1", LOW_BID)
    report["queried"] = alice.get_order(SYMBOL, orderId=ask["orderId"])
    report["open_orders"] = alice.get_open_orders(SYMBOL)
    report["canceled"] = alice.cancel_order(SYMBOL, orderId=bid["orderId"])
    report["canceled_all"] = alice.cancel_open_orders(SYMBOL)
    report["open_after"] = alice.get_open_orders(SYMBOL)
    report["my_trades"] = alice.my_trades(SYMBOL, orderId=ask["orderId"])
    report["account_after"] = alice.account()
    report["insufficient_balance"] = refusal(lambda: limit(bob, "BUY", "100", LOW_BID))
    report["bad_symbol"] = refusal(lambda: alice.ticker_price("DOGEUSD"))
    return report


def stream_kind(message: dict[str, Any]) -> str:
    """A stream payload's kind, or ``answer <id>`` for the answer to a request."""
    return f"answer {message['id']}" if "id" in message else event_kind(message)


def stream_client(target: Target, inbox: Inbox) -> SpotWebsocketStreamClient:
    """A combined stream connection (``/stream``): the client's default, ``/ws`` itself, is the daemon's
    native WebSocket."""

    def on_message(_: Any, text: str) -> None:
        frame = json.loads(text)
        message = frame.get("data", frame)  # a stream's payload, else the answer to a request
        inbox.put(stream_kind(message), message)

    return SpotWebsocketStreamClient(stream_url=target.ws_url, on_message=on_message, is_combined=True)


def streams(target: Target) -> dict[str, Any]:
    inbox = Inbox()
    client = stream_client(target, inbox)
    try:
        client.trade(SYMBOL, id=1)
        client.diff_book_depth(SYMBOL, speed=100, id=2)
        client.partial_book_depth(SYMBOL, level=5, speed=100, id=3)
        client.ticker(SYMBOL, id=4)
        client.kline(SYMBOL, "1m", id=5)
        inbox.wait_for(*(f"answer {n}" for n in range(1, 6)))
        trade(spot(target, "alice"), spot(target, "bob"), "0.1")
        return inbox.wait_for(
            "trade",
            "depthUpdate",
            "partialDepth",
            "24hrTicker",
            "kline",
            where=lambda kind, message: kind != "kline" or not message["k"]["x"],  # not one the clock closed
        )
    finally:
        client.stop()


def user_data(target: Target) -> dict[str, Any]:
    """A listen key made and kept alive over REST; its stream subscribed like a market stream, the way
    ``SpotWebsocketStreamClient.user_data`` does it."""
    alice = spot(target, "alice")
    report: dict[str, Any] = {"created": alice.new_listen_key()}
    listen_key = report["created"]["listenKey"]
    report["renewed"] = alice.renew_listen_key(listen_key)
    inbox = Inbox()
    client = stream_client(target, inbox)
    try:
        client.user_data(listen_key, id=1)
        inbox.wait_for("answer 1")
        bid = report["bid"] = limit(alice, "BUY", "0.1", LOW_BID)
        alice.cancel_order(SYMBOL, orderId=bid["orderId"])
        kinds = ("executionReport NEW", "executionReport CANCELED", "outboundAccountPosition")
        report["events"] = inbox.wait_for(*kinds)
    finally:
        client.stop()
    report["closed"] = alice.close_listen_key(listen_key)
    return report


def ws_api_client(target: Target, inbox: Inbox) -> SpotWebsocketAPIClient:
    key, secret = target.keys["alice"]

    def on_message(_: Any, text: str) -> None:
        message = json.loads(text)
        inbox.put(str(message.get("id")), message)

    url = f"{target.ws_url}/ws-api/v3"
    return SpotWebsocketAPIClient(stream_url=url, api_key=key, api_secret=secret, on_message=on_message)


def ws_api(target: Target) -> dict[str, Any]:
    inbox = Inbox()
    client = ws_api_client(target, inbox)
    try:
        client.new_order(SYMBOL, "BUY", "LIMIT", id="place", timeInForce="GTC", quantity="0.1", price=LOW_BID)
        placed = inbox.wait_for("place")["place"]
        client.cancel_order(SYMBOL, id="cancel", orderId=placed["result"]["orderId"])
        client.new_order(
            SYMBOL, "BUY", "LIMIT", id="refuse", timeInForce="GTC", quantity="100", price=LOW_BID
        )
        return {"placed": placed, **inbox.wait_for("cancel", "refuse")}
    finally:
        client.stop()


def ws_api_listen_key(target: Target) -> dict[str, Any]:
    """``userDataStream.start`` / ``ping`` / ``stop`` over the WS-API."""
    inbox = Inbox()
    client = ws_api_client(target, inbox)
    try:
        client.user_data_start(id="start")
        started = inbox.wait_for("start")["start"]
        client.user_data_ping(started["result"]["listenKey"], id="ping")
        client.user_data_stop(started["result"]["listenKey"], id="stop")
        return {"start": started, **inbox.wait_for("ping", "stop")}
    finally:
        client.stop()


if __name__ == "__main__":
    run(market_data, trading, streams, user_data, ws_api, ws_api_listen_key)
