"""Engine views as the native API's JSON: decimal strings at each instrument's precision, epoch-ms times."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...engine import (
    BalanceView,
    DepthView,
    EngineError,
    Exchange,
    FillView,
    Instrument,
    OrderView,
    PositionView,
    format_amount,
)
from ...marketdata.candles import Candle
from ...marketdata.rolling import WindowStats

__all__ = [
    "client_order_id_of",
    "render_balances",
    "render_candle",
    "render_depth",
    "render_fill",
    "render_instrument",
    "render_order",
    "render_position",
    "render_public_trade",
    "render_ticker",
]


def render_instrument(instrument: Instrument) -> dict[str, Any]:
    return {
        "symbol": instrument.symbol,
        "base": instrument.base,
        "quote": instrument.quote,
        "tick_size": str(instrument.tick_size),
        "lot_size": str(instrument.lot_size),
        "min_qty": instrument.format_quantity(instrument.min_lots),
        "max_qty": instrument.format_quantity(instrument.max_lots),
        "min_notional": str(instrument.min_notional),
        "maker_fee": str(instrument.maker_fee),
        "taker_fee": str(instrument.taker_fee),
    }


def render_ticker(
    instrument: Instrument,
    last: int | None,
    best: tuple[int | None, int | None],
    window: WindowStats | None,
    now_ms: int,
) -> dict[str, Any]:
    """The ticker: last trade, best bid and ask, and the rolling 24-hour statistics."""
    price = instrument.format_price
    bid, ask = best
    return {
        "symbol": instrument.symbol,
        "last_price": None if last is None else price(last),
        "best_bid": None if bid is None else price(bid),
        "best_ask": None if ask is None else price(ask),
        "open_24h": None if window is None else price(window.open),
        "high_24h": None if window is None else price(window.high),
        "low_24h": None if window is None else price(window.low),
        "volume_24h": instrument.format_quantity(window.volume if window else 0),
        "quote_volume_24h": _quote(window.quote_volume if window else 0, instrument),
        "timestamp": now_ms,
    }


def render_order(order: OrderView, instrument: Instrument) -> dict[str, Any]:
    price, quantity = instrument.format_price, instrument.format_quantity
    remaining = order.remaining
    return {
        "order_id": str(order.order_id),
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "time_in_force": order.time_in_force,
        "status": order.status,
        "price": None if order.price is None else price(order.price),
        "stop_price": None if order.stop_price is None else price(order.stop_price),
        "quantity": None if order.quantity is None else quantity(order.quantity),
        "quote_quantity": None if order.quote_quantity is None else _quote(order.quote_quantity, instrument),
        "filled_quantity": quantity(order.filled),
        "remaining_quantity": None if remaining is None else quantity(remaining),
        "cumulative_quote": _quote(order.cum_quote, instrument),
        "average_price": _average_price(order.cum_quote, order.filled, instrument),
        "fee": format_amount(order.fee),
        "fee_asset": order.fee_asset,
        "stp": order.stp,
        "working": order.is_working,
        "reason": order.reason,
        "created_at": order.created,
        "updated_at": order.updated,
    }


def render_fill(fill: FillView, instrument: Instrument, client_order_id: str | None) -> dict[str, Any]:
    return {
        "trade_id": str(fill.trade_id),
        "order_id": str(fill.order_id),
        "client_order_id": client_order_id,
        "symbol": fill.symbol,
        "side": fill.side,
        "price": instrument.format_price(fill.price),
        "quantity": instrument.format_quantity(fill.quantity),
        "quote_quantity": _quote(fill.quote, instrument),
        "fee": format_amount(fill.fee),
        "fee_asset": fill.fee_asset,
        "liquidity": fill.liquidity,
        "timestamp": fill.ts,
    }


def client_order_id_of(exchange: Exchange, account: str, order_id: int) -> str | None:
    """The client order id of one of ``account``'s orders (None once it aged out of the kept history)."""
    try:
        return exchange.get_order(account, order_id).client_order_id
    except EngineError:
        return None


def render_public_trade(
    trade_id: int, price: int, lots: int, taker_side: str, ts: int, instrument: Instrument
) -> dict[str, Any]:
    """A public trade from its fields (a ``Trade``'s, or a TRADE record's as the stream feed reads them)."""
    return {
        "trade_id": str(trade_id),
        "price": instrument.format_price(price),
        "quantity": instrument.format_quantity(lots),
        "side": taker_side,
        "timestamp": ts,
    }


def render_candle(candle: Candle, instrument: Instrument) -> dict[str, Any]:
    price = instrument.format_price
    return {
        "open_time": candle.open_time,
        "open": price(candle.open),
        "high": price(candle.high),
        "low": price(candle.low),
        "close": price(candle.close),
        "volume": instrument.format_quantity(candle.volume),
        "quote_volume": _quote(candle.quote_volume, instrument),
        "trades": candle.trades,
        "closed": candle.closed,
    }


def render_depth(depth: DepthView, instrument: Instrument) -> dict[str, Any]:
    return {
        "bids": [[instrument.format_price(p), instrument.format_quantity(q)] for p, q in depth.bids],
        "asks": [[instrument.format_price(p), instrument.format_quantity(q)] for p, q in depth.asks],
        "sequence": depth.sequence,
    }


def render_balances(balances: dict[str, BalanceView]) -> dict[str, Any]:
    return {
        asset: {
            "available": format_amount(view.available),
            "locked": format_amount(view.locked),
            "total": format_amount(view.total),
        }
        for asset, view in sorted(balances.items())
    }


def render_position(position: PositionView, exchange: Exchange) -> dict[str, Any]:
    instrument = exchange.instrument(position.symbol)
    return {
        "symbol": position.symbol,
        "quantity": instrument.format_quantity(position.quantity),
        "average_price": _average(position.average_price, instrument),
        "realized_pnl": _quote(position.realized_pnl, instrument),
        "unrealized_pnl": _quote(position.unrealized_pnl, instrument),
    }


def _quote(units: int, instrument: Instrument) -> str:
    return format_amount(units, instrument.price_decimals)


def _average_price(cum_quote: int, filled_lots: int, instrument: Instrument) -> str | None:
    if not filled_lots:
        return None
    # quote units per lot, divided by the quote units of one tick x lot, is the price in ticks.
    return _average(instrument.tick_size * cum_quote / (filled_lots * instrument.quote_per_step), instrument)


def _average(price: Decimal, instrument: Instrument) -> str:
    """An average price: at the instrument's precision on its grid, with four more places off it."""
    on_grid = price % instrument.tick_size == 0
    return format(price.quantize(instrument.tick_size if on_grid else instrument.tick_size / 10**4), "f")
