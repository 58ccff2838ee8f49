"""binance-sdk-spot 13.3.0 (with binance-common): REST, WebSocket API and WebSocket Streams against the
daemon, each pointed at it by its configuration's ``base_path`` or ``stream_url``.

The SDK parses every answer into its models and logs a warning when one does not fit them: each report
carries what it logged (``logged``), so a test sees an answer the SDK had to take loosely.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import urllib.request
from collections.abc import Callable
from typing import Any

from binance_common.configuration import (
    ConfigurationRestAPI,
    ConfigurationWebSocketAPI,
    ConfigurationWebSocketStreams,
)
from binance_common.errors import BadRequestError
from binance_sdk_spot.rest_api.models import (
    KlinesIntervalEnum,
    NewOrderSideEnum,
    NewOrderTimeInForceEnum,
    NewOrderTypeEnum,
)
from binance_sdk_spot.spot import Spot
from binance_sdk_spot.websocket_api.models import (
    OrderPlaceSideEnum,
    OrderPlaceTimeInForceEnum,
    OrderPlaceTypeEnum,
)
from binance_sdk_spot.websocket_streams.models import (
    DiffBookDepthUpdateSpeedEnum,
    KlineIntervalEnum,
    PartialBookDepthLevelsEnum,
    PartialBookDepthUpdateSpeedEnum,
)
from driver_io import LOW_BID, PRICE, SYMBOL, Inbox, Target, event_kind, run


class Logged(logging.Handler):
    """What the SDK logged at warning level and above."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


LOGGED = Logged()


def reporting(scenario: Callable[[Target], Any]) -> Callable[[Target], Any]:
    """``scenario``'s report with what the SDK logged while it ran."""

    @functools.wraps(scenario)
    async def with_log(target: Target) -> dict[str, Any]:
        report = scenario(target)
        if asyncio.iscoroutine(report):
            report = await report
        return {**report, "logged": LOGGED.messages}

    return with_log


def wire(value: Any) -> Any:
    """An SDK model (or a list of them) as the JSON it was parsed from."""
    if isinstance(value, list):
        return [wire(item) for item in value]
    return value.to_dict() if hasattr(value, "to_dict") else value


def rest(target: Target, account: str | None = None) -> Any:
    key, secret = target.keys[account] if account else (None, None)
    config = ConfigurationRestAPI(api_key=key, api_secret=secret, base_path=target.base_url)
    return Spot(config_rest_api=config).rest_api


def refusal(call: Callable[[], Any]) -> dict[str, Any]:
    """The ``BadRequestError`` ``call`` raises, as its fields (the SDK keeps Binance's code as
    ``status_code``)."""
    try:
        call()
    except BadRequestError as error:
        return {"type": type(error).__name__, "code": error.status_code}
    raise AssertionError("the call succeeded")


def limit(client: Any, side: str, quantity: str, price: str) -> Any:
    side_enum, gtc = NewOrderSideEnum[side], NewOrderTimeInForceEnum["GTC"]
    return client.new_order(
        SYMBOL, side_enum, NewOrderTypeEnum["LIMIT"], time_in_force=gtc, quantity=quantity, price=price
    ).data()


def market_buy(client: Any, quantity: str) -> Any:
    return client.new_order(
        SYMBOL, NewOrderSideEnum["BUY"], NewOrderTypeEnum["MARKET"], quantity=quantity
    ).data()


def market_data(target: Target) -> dict[str, Any]:
    alice, bob, public = rest(target, "alice"), rest(target, "bob"), rest(target)
    limit(alice, "SELL", "0.5", PRICE)
    market_buy(bob, "0.2")
    limit(alice, "BUY", "0.1", LOW_BID)
    try:
        calls = {
            "ping": public.ping,
            "time": public.time,
            "exchange_info": lambda: public.exchange_info(symbol=SYMBOL),
            "depth": lambda: public.depth(SYMBOL, limit=5),
            "trades": lambda: public.get_trades(SYMBOL, limit=1),
            "klines": lambda: public.klines(SYMBOL, KlinesIntervalEnum["INTERVAL_1m"], limit=1),
            "ticker_24hr": lambda: public.ticker24hr(symbol=SYMBOL),
            "ticker_price": lambda: public.ticker_price(symbol=SYMBOL),
            "book_ticker": lambda: public.ticker_book_ticker(symbol=SYMBOL),
            "avg_price": lambda: public.avg_price(SYMBOL),
        }
        return {name: wire(call().data()) for name, call in calls.items()}
    finally:
        alice.delete_open_orders(SYMBOL)


def trading(target: Target) -> dict[str, Any]:
    alice, bob = rest(target, "alice"), rest(target, "bob")
    report: dict[str, Any] = {"account_before": wire(alice.get_account().data())}
    ask = limit(alice, "SELL", "0.3", PRICE)
    report["ask"], report["taken"] = wire(ask), wire(market_buy(bob, "0.1"))
    bid = limit(alice, "BUY", "0.1", LOW_BID)
    report["bid"] = wire(bid)
    report["queried"] = wire(alice.get_order(SYMBOL, order_id=ask.order_id).data())
    report["open_orders"] = wire(alice.get_open_orders(symbol=SYMBOL).data())
    report["canceled"] = wire(alice.delete_order(SYMBOL, order_id=bid.order_id).data())
    report["canceled_all"] = wire(alice.delete_open_orders(SYMBOL).data())
    report["open_after"] = wire(alice.get_open_orders(symbol=SYMBOL).data())
    report["my_trades"] = wire(alice.my_trades(SYMBOL, order_id=ask.order_id).data())
    report["account_after"] = wire(alice.get_account().data())
    report["insufficient_balance"] = refusal(lambda: limit(bob, "BUY", "100", LOW_BID))
    report["bad_symbol"] = refusal(lambda: alice.ticker_price(symbol="DOGEUSD"))
    return report


def stream_kind(message: Any, payload: dict[str, Any]) -> str:
    """A stream payload's kind; a user data event loses its type (``e``) to the model the SDK parses it
    into, so its model's class tells it."""
    model = type(getattr(message, "actual_instance", message)).__name__  # a user event is one of several
    if model == "ExecutionReport":
        return f"executionReport {payload['X']}"
    return "outboundAccountPosition" if model == "OutboundAccountPosition" else event_kind(payload)


def collect(inbox: Inbox) -> Callable[[Any], None]:
    """A stream callback putting each (parsed) message into ``inbox`` as its JSON."""

    def put(message: Any) -> None:
        payload = wire(message)
        inbox.put(stream_kind(message, payload), payload)

    return put


async def streams(target: Target) -> dict[str, Any]:
    """Each stream subscribed on one ``/stream`` connection; ``list_subscribe`` answered means the
    subscriptions before it were."""
    config = ConfigurationWebSocketStreams(stream_url=target.ws_url)
    connection = await Spot(config_ws_streams=config).websocket_streams.create_connection()
    inbox = Inbox()
    try:
        handles = await asyncio.gather(
            connection.trade(symbol=SYMBOL),
            connection.diff_book_depth(
                symbol=SYMBOL, update_speed=DiffBookDepthUpdateSpeedEnum["UPDATE_SPEED_100ms"]
            ),
            connection.partial_book_depth(
                symbol=SYMBOL,
                levels=PartialBookDepthLevelsEnum["LEVELS_5"],
                update_speed=PartialBookDepthUpdateSpeedEnum["UPDATE_SPEED_100ms"],
            ),
            connection.ticker(symbol=SYMBOL),
            connection.kline(symbol=SYMBOL, interval=KlineIntervalEnum["INTERVAL_1m"]),
        )
        for handle in handles:
            handle.on("message", collect(inbox))
        subscriptions = await connection.list_subscribe()
        limit(rest(target, "alice"), "SELL", "0.1", PRICE)
        market_buy(rest(target, "bob"), "0.1")
        kinds = ("trade", "depthUpdate", "partialDepth", "24hrTicker", "kline")
        report = await asyncio.to_thread(
            inbox.wait_for, *kinds, where=lambda kind, message: kind != "kline" or not message["k"]["x"]
        )
        return {**report, "subscriptions": subscriptions}
    finally:
        await connection.close_connection(close_session=True)


async def ws_api_connection(target: Target) -> Any:
    key, secret = target.keys["alice"]
    config = ConfigurationWebSocketAPI(
        api_key=key, api_secret=secret, stream_url=f"{target.ws_url}/ws-api/v3"
    )
    return await Spot(config_ws_api=config).websocket_api.create_connection()


async def ws_api(target: Target) -> dict[str, Any]:
    """``order.place`` and ``order.cancel``; a refused order comes back as ``{"error": ...}``."""
    connection = await ws_api_connection(target)
    buy, limit_type, gtc = (
        OrderPlaceSideEnum["BUY"],
        OrderPlaceTypeEnum["LIMIT"],
        OrderPlaceTimeInForceEnum["GTC"],
    )
    try:
        placed = await connection.order_place(
            SYMBOL, buy, limit_type, time_in_force=gtc, price=LOW_BID, quantity="0.1"
        )
        order_id = placed.data().result.order_id
        canceled = await connection.order_cancel(SYMBOL, order_id=order_id)
        refused = await connection.order_place(
            SYMBOL, buy, limit_type, time_in_force=gtc, price=LOW_BID, quantity="100"
        )
        return {
            "placed": wire(placed.data()),
            "canceled": wire(canceled.data()),
            "refused": wire(refused.data()),
        }
    finally:
        await connection.close_connection(close_session=True)


async def user_data(target: Target) -> dict[str, Any]:
    """``userDataStream.subscribe.signature`` following an order placed and canceled over REST, then
    ``userDataStream.unsubscribe``."""
    connection, inbox, alice = await ws_api_connection(target), Inbox(), rest(target, "alice")
    try:
        subscribed = await connection.user_data_stream_subscribe_signature()
        subscribed.stream.on("message", collect(inbox))
        bid = limit(alice, "BUY", "0.1", LOW_BID)
        alice.delete_order(SYMBOL, order_id=bid.order_id)
        kinds = ("executionReport NEW", "executionReport CANCELED", "outboundAccountPosition")
        report = {"subscribed": wire(subscribed.response.data()), "bid": wire(bid)}
        report["events"] = await asyncio.to_thread(inbox.wait_for, *kinds)
        subscription = subscribed.response.data().result.subscription_id
        report["unsubscribed"] = wire(
            (await connection.user_data_stream_unsubscribe(subscription_id=subscription)).data()
        )
        return report
    finally:
        await connection.close_connection(close_session=True)


def listen_key_request(target: Target, method: str, listen_key: str | None = None) -> Any:
    """``/api/v3/userDataStream`` by urllib: the SDK has no method for listen keys, and its generic
    ``SpotRestAPI.send_request`` raises TypeError in 13.3.0 (``send_request[T](...)`` subscripts a
    function)."""
    query = f"?listenKey={listen_key}" if listen_key else ""
    request = urllib.request.Request(f"{target.base_url}/api/v3/userDataStream{query}", method=method)
    request.add_header("X-MBX-APIKEY", target.keys["alice"][0])
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


async def listen_key(target: Target) -> dict[str, Any]:
    """A listen key's events through ``websocket_streams.user_data``."""
    created = listen_key_request(target, "POST")
    report = {"created": created, "renewed": listen_key_request(target, "PUT", created["listenKey"])}
    config = ConfigurationWebSocketStreams(stream_url=target.ws_url)
    connection = await Spot(config_ws_streams=config).websocket_streams.create_connection()
    inbox, alice = Inbox(), rest(target, "alice")
    try:
        stream = await connection.user_data(created["listenKey"])
        stream.on("message", collect(inbox))
        await connection.list_subscribe()
        bid = limit(alice, "BUY", "0.1", LOW_BID)
        alice.delete_order(SYMBOL, order_id=bid.order_id)
        report["bid"] = wire(bid)
        kinds = ("executionReport NEW", "executionReport CANCELED", "outboundAccountPosition")
        report["events"] = await asyncio.to_thread(inbox.wait_for, *kinds)
    finally:
        await connection.close_connection(close_session=True)
    report["closed"] = listen_key_request(target, "DELETE", created["listenKey"])
    return report


if __name__ == "__main__":
    logging.getLogger().addHandler(LOGGED)
    scenarios = (market_data, trading, streams, ws_api, user_data, listen_key)
    run(*(reporting(scenario) for scenario in scenarios))
