"""Engine views as Binance spot JSON: decimal strings at each instrument's precision, epoch-ms times."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ...engine import (
    ASSET_SCALE,
    BalanceView,
    DepthView,
    ExpireReason,
    FillView,
    Instrument,
    OrderStatus,
    OrderType,
    OrderView,
    SelfTradePrevention,
    Trade,
    format_amount,
)
from ...marketdata.candles import Candle
from ...marketdata.rolling import MINUTE_MS, RollingStats, WindowStats

__all__ = [
    "binance_name",
    "render_account",
    "render_agg_trade",
    "render_avg_price",
    "render_book_ticker",
    "render_canceled",
    "render_depth",
    "render_exchange_info",
    "render_fills",
    "render_kline",
    "render_my_trade",
    "render_new_order",
    "render_order",
    "render_price_ticker",
    "render_ticker",
    "render_trade",
    "render_window_ticker",
    "request_weight_limit",
]

AVG_PRICE_MINS = 5
"""The minutes ``/avgPrice`` averages over, as on Binance."""
ORDER_TYPES = [v for k, v in vars(OrderType).items() if k.isupper()]
STP_MODES = [v for k, v in vars(SelfTradePrevention).items() if k.isupper()]
STOP_TYPES = frozenset(
    (OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT)
)
"""The order types whose answers carry ``stopPrice``."""


def binance_name(instrument: Instrument) -> str:
    """``BTC/USD`` as Binance writes it: ``BTCUSD``."""
    return instrument.base + instrument.quote


def _quote(units: int, instrument: Instrument) -> str:
    return format_amount(units, instrument.price_decimals)


def request_weight_limit(limit: int, count: int | None = None) -> dict[str, Any]:
    """The REQUEST_WEIGHT entry of ``rateLimits``: the weight allowed a minute, and ``count`` used."""
    entry: dict[str, Any] = {
        "rateLimitType": "REQUEST_WEIGHT",
        "interval": "MINUTE",
        "intervalNum": 1,
        "limit": limit,
    }
    if count is not None:
        entry["count"] = count
    return entry


def render_exchange_info(
    instruments: Iterable[Instrument], now_ms: int, weight_limit: int, halted: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Spot symbols with PRICE_FILTER, LOT_SIZE and NOTIONAL; nothing that marks a contract. A symbol
    in ``halted`` has Binance's status for one not trading, ``HALT``."""
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "rateLimits": [request_weight_limit(weight_limit)],
        "exchangeFilters": [],
        "symbols": [_symbol(instrument, instrument.symbol in halted) for instrument in instruments],
    }


def _symbol(instrument: Instrument, halted: bool) -> dict[str, Any]:
    price, quantity = instrument.format_price, instrument.format_quantity
    return {
        "symbol": binance_name(instrument),
        "status": "HALT" if halted else "TRADING",
        "baseAsset": instrument.base,
        "baseAssetPrecision": 8,
        "quoteAsset": instrument.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ORDER_TYPES,
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": price(1),
                "maxPrice": price(instrument.max_ticks),
                "tickSize": price(1),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": quantity(instrument.min_lots),
                "maxQty": quantity(instrument.max_lots),
                "stepSize": quantity(1),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": format_amount(instrument.min_notional_steps * instrument.quote_per_step),
                "applyMinToMarket": True,
                "maxNotional": "9000000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 0,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": SelfTradePrevention.NONE,
        "allowedSelfTradePreventionModes": STP_MODES,
    }


def render_ticker(
    instrument: Instrument,
    last: int | None,
    top: tuple[tuple[int, int] | None, tuple[int, int] | None],
    window: WindowStats | None,
    now_ms: int,
) -> dict[str, Any]:
    """GET /ticker/24hr for one symbol: the rolling 24 hours, last trade and best levels (zeros if none)."""
    price, quantity = instrument.format_price, instrument.format_quantity
    last_ticks = last or 0
    open_ticks = window.open if window else 0
    change = last_ticks - open_ticks if window else 0
    percent = Decimal(change * 100) / open_ticks if open_ticks else Decimal(0)
    volume = window.volume if window else 0
    quote_volume = window.quote_volume if window else 0
    return {
        "symbol": binance_name(instrument),
        "priceChange": price(change),
        "priceChangePercent": format(percent.quantize(Decimal("0.001")), "f"),
        "weightedAvgPrice": _average(quote_volume, volume, instrument),
        "prevClosePrice": price(open_ticks),
        "lastPrice": price(last_ticks),
        "lastQty": quantity(window.last_quantity if window else 0),
        **_book_levels(instrument, top),
        "openPrice": price(open_ticks),
        "highPrice": price(window.high if window else 0),
        "lowPrice": price(window.low if window else 0),
        "volume": quantity(volume),
        "quoteVolume": _quote(quote_volume, instrument),
        "openTime": now_ms - 86_400_000,
        "closeTime": now_ms,
        "firstId": window.first_id if window else -1,
        "lastId": window.last_id if window else -1,
        "count": window.count if window else 0,
    }


_WINDOW_MINI = (
    "symbol",
    "openPrice",
    "highPrice",
    "lowPrice",
    "lastPrice",
    "volume",
    "quoteVolume",
    "openTime",
    "closeTime",
    "firstId",
    "lastId",
    "count",
)
_WINDOW_FULL = (*_WINDOW_MINI[:1], "priceChange", "priceChangePercent", "weightedAvgPrice", *_WINDOW_MINI[1:])


def render_window_ticker(
    instrument: Instrument,
    last: int | None,
    window: WindowStats | None,
    open_time: int,
    now_ms: int,
    mini: bool = False,
) -> dict[str, Any]:
    """GET /ticker (``windowSize``) for one symbol: the trades since ``open_time``, FULL or MINI; no
    best levels, last quantity nor previous close, as on Binance."""
    full = {**render_ticker(instrument, last, (None, None), window, now_ms), "openTime": open_time}
    return {key: full[key] for key in (_WINDOW_MINI if mini else _WINDOW_FULL)}


def render_avg_price(
    instrument: Instrument, rolling: RollingStats, last: int | None, now_ms: int
) -> dict[str, Any]:
    """GET /avgPrice: the volume-weighted price of the last ``AVG_PRICE_MINS`` minutes (the last price
    when nothing traded in them) and the last trade's time (now, before any trade)."""
    quote_volume, volume = rolling.average(now_ms - AVG_PRICE_MINS * MINUTE_MS)
    price = _average(quote_volume, volume, instrument) if volume else instrument.format_price(last or 0)
    latest = rolling.last_ts
    return {"mins": AVG_PRICE_MINS, "price": price, "closeTime": now_ms if latest is None else latest}


def render_depth(instrument: Instrument, depth: DepthView) -> dict[str, Any]:
    """GET /depth, and a partial depth stream's snapshot: ``lastUpdateId`` is the book's sequence."""
    price, quantity = instrument.format_price, instrument.format_quantity
    return {
        "lastUpdateId": depth.sequence,
        "bids": [[price(p), quantity(q)] for p, q in depth.bids],
        "asks": [[price(p), quantity(q)] for p, q in depth.asks],
    }


def render_price_ticker(instrument: Instrument, last: int | None) -> dict[str, Any]:
    return {"symbol": binance_name(instrument), "price": instrument.format_price(last or 0)}


def render_book_ticker(
    instrument: Instrument, top: tuple[tuple[int, int] | None, tuple[int, int] | None]
) -> dict[str, Any]:
    return {"symbol": binance_name(instrument), **_book_levels(instrument, top)}


def _book_levels(
    instrument: Instrument, top: tuple[tuple[int, int] | None, tuple[int, int] | None]
) -> dict[str, str]:
    (bid, bid_qty), (ask, ask_qty) = (level or (0, 0) for level in top)
    price, quantity = instrument.format_price, instrument.format_quantity
    return {
        "bidPrice": price(bid),
        "bidQty": quantity(bid_qty),
        "askPrice": price(ask),
        "askQty": quantity(ask_qty),
    }


def _average(quote_units: int, lots: int, instrument: Instrument) -> str:
    if not lots:
        return instrument.format_price(0)
    average = Decimal(quote_units) / ASSET_SCALE / (lots * instrument.lot_size)
    return format(average.quantize(instrument.tick_size / 10**4), "f")


def _status(order: OrderView) -> str:
    if order.status == OrderStatus.EXPIRED and order.reason == ExpireReason.STP:
        return "EXPIRED_IN_MATCH"
    return order.status


def render_order(order: OrderView, instrument: Instrument) -> dict[str, Any]:
    """An order as GET /order, /openOrders and /allOrders show it."""
    price, quantity = instrument.format_price, instrument.format_quantity
    return {
        "symbol": binance_name(instrument),
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id or "",
        "price": price(order.price or 0),
        "origQty": quantity(order.quantity or 0),
        "executedQty": quantity(order.filled),
        "cummulativeQuoteQty": _quote(order.cum_quote, instrument),
        "status": _status(order),
        "timeInForce": order.time_in_force or "GTC",
        "type": order.type,
        "side": order.side,
        "stopPrice": price(order.stop_price or 0),
        "icebergQty": quantity(0),
        "time": order.created,
        "updateTime": order.updated,
        "isWorking": order.is_working,
        "workingTime": order.created if order.is_working else -1,
        "origQuoteOrderQty": _quote(order.quote_quantity or 0, instrument),
        "selfTradePreventionMode": order.stp,
    }


def render_new_order(
    order: OrderView, instrument: Instrument, response_type: str, trades: Iterable[Trade]
) -> dict[str, Any]:
    """POST /order's and ``order.place``'s answer, as Binance's ``newOrderRespType`` shapes it: ACK names
    the order, RESULT adds its state, FULL adds the fills of ``trades``."""
    rendered: dict[str, Any] = {
        "symbol": binance_name(instrument),
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id or "",
        "transactTime": order.created,
    }
    if response_type == "ACK":
        return rendered
    _add_state(rendered, order, instrument, working_time=True)
    if response_type == "FULL":
        rendered["fills"] = render_fills(trades, order.order_id, instrument)
    return rendered


def render_canceled(order: OrderView, instrument: Instrument) -> dict[str, Any]:
    """DELETE /order's and ``order.cancel``'s answer: the order as the cancel left it."""
    client_order_id = order.client_order_id or ""
    rendered: dict[str, Any] = {
        "symbol": binance_name(instrument),
        "origClientOrderId": client_order_id,
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": client_order_id,
        "transactTime": order.updated,
    }
    return _add_state(rendered, order, instrument, working_time=False)


def _add_state(
    rendered: dict[str, Any], order: OrderView, instrument: Instrument, working_time: bool
) -> dict[str, Any]:
    """The order's state after ``rendered``'s names, as placement and cancel answers show it (Binance's
    RESULT): ``stopPrice`` for stop orders only, ``workingTime`` where asked."""
    price, quantity = instrument.format_price, instrument.format_quantity
    rendered["price"] = price(order.price or 0)
    rendered["origQty"] = quantity(order.quantity or 0)
    rendered["executedQty"] = quantity(order.filled)
    rendered["origQuoteOrderQty"] = _quote(order.quote_quantity or 0, instrument)
    rendered["cummulativeQuoteQty"] = _quote(order.cum_quote, instrument)
    rendered["status"] = _status(order)
    rendered["timeInForce"] = order.time_in_force or "GTC"
    rendered["type"] = order.type
    rendered["side"] = order.side
    if order.type in STOP_TYPES:
        rendered["stopPrice"] = price(order.stop_price or 0)
    if working_time:
        rendered["workingTime"] = order.created if order.is_working else -1
    rendered["selfTradePreventionMode"] = order.stp
    return rendered


def render_fills(trades: Iterable[Trade], order_id: int, instrument: Instrument) -> list[dict[str, Any]]:
    """The ``fills`` of a FULL response: this order's side of each trade the command made."""
    return [
        {
            "price": instrument.format_price(fill.price),
            "qty": instrument.format_quantity(fill.quantity),
            "commission": format_amount(fill.fee),
            "commissionAsset": fill.fee_asset,
            "tradeId": fill.trade_id,
        }
        for trade in trades
        for fill in trade.fills()
        if fill.order_id == order_id
    ]


def render_trade(trade: Trade, instrument: Instrument) -> dict[str, Any]:
    return {
        "id": trade.trade_id,
        "price": instrument.format_price(trade.price),
        "qty": instrument.format_quantity(trade.quantity),
        "quoteQty": _quote(trade.quote, instrument),
        "time": trade.ts,
        "isBuyerMaker": trade.taker_side == "SELL",
        "isBestMatch": True,
    }


def render_agg_trade(
    instrument: Instrument, trade_id: int, price: int, quantity: int, ts: int, buyer_maker: bool
) -> dict[str, Any]:
    """One trade as an aggregate trade of itself alone (``buyer_maker``: the taker sold), from the fields
    a ``Trade`` and an engine TRADE record both hold."""
    return {
        "a": trade_id,
        "p": instrument.format_price(price),
        "q": instrument.format_quantity(quantity),
        "f": trade_id,
        "l": trade_id,
        "T": ts,
        "m": buyer_maker,
        "M": True,
    }


def render_kline(candle: Candle, interval_ms: int, instrument: Instrument) -> list[Any]:
    """A kline row: open time, OHLC, volume, close time, quote volume, trades, taker-buy volumes."""
    price, quantity = instrument.format_price, instrument.format_quantity
    return [
        candle.open_time,
        price(candle.open),
        price(candle.high),
        price(candle.low),
        price(candle.close),
        quantity(candle.volume),
        candle.open_time + interval_ms - 1,
        _quote(candle.quote_volume, instrument),
        candle.trades,
        quantity(candle.taker_buy_volume),
        _quote(candle.taker_buy_quote_volume, instrument),
        "0",
    ]


def render_my_trade(fill: FillView, instrument: Instrument) -> dict[str, Any]:
    return {
        "symbol": binance_name(instrument),
        "id": fill.trade_id,
        "orderId": fill.order_id,
        "orderListId": -1,
        "price": instrument.format_price(fill.price),
        "qty": instrument.format_quantity(fill.quantity),
        "quoteQty": _quote(fill.quote, instrument),
        "commission": format_amount(fill.fee),
        "commissionAsset": fill.fee_asset,
        "time": fill.ts,
        "isBuyer": fill.side == "BUY",
        "isMaker": fill.liquidity == "MAKER",
        "isBestMatch": True,
    }


def render_account(
    balances: dict[str, BalanceView], maker_fee: Decimal, taker_fee: Decimal, now_ms: int
) -> dict[str, Any]:
    """GET /account: fee rates and every asset's free and locked balance."""
    return {
        "makerCommission": int(maker_fee * 10_000),
        "takerCommission": int(taker_fee * 10_000),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {"maker": str(maker_fee), "taker": str(taker_fee), "buyer": "0", "seller": "0"},
        "canTrade": True,
        "canWithdraw": False,
        "canDeposit": False,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": now_ms,
        "accountType": "SPOT",
        "balances": [
            {"asset": asset, "free": format_amount(view.available), "locked": format_amount(view.locked)}
            for asset, view in sorted(balances.items())
        ],
        "permissions": ["SPOT"],
    }
