"""Engine event records as Binance market stream payloads, built on the REST dialect's renderings.

The short field names are Binance's: each event is the REST object of the same thing under the keys
its stream uses, plus ``e`` (event type), ``E`` (event time) and ``s`` (symbol).
"""

from __future__ import annotations

from typing import Any

from ...engine import Exchange, Instrument
from ...engine.events import T_ID, T_PRICE, T_QTY, T_TAKER_SIDE, T_TS
from ...engine.orderbook import SELL
from ...marketdata.candles import INTERVALS, Candle
from ...marketdata.rolling import WindowStats
from .render import binance_name, render_agg_trade, render_kline, render_ticker, render_window_ticker

__all__ = [
    "Top",
    "agg_trade_event",
    "avg_price_event",
    "book_ticker_event",
    "depth_update_event",
    "kline_event",
    "mini_ticker_event",
    "ticker_event",
    "top_of_book",
    "trade_event",
    "window_ticker_event",
]

Top = tuple[tuple[int, int] | None, tuple[int, int] | None]
"""The best bid and ask as (price ticks, lots), None for an empty side."""

_MINI_TICKER = {"c": "lastPrice", "o": "openPrice", "h": "highPrice", "l": "lowPrice"}
_MINI_TICKER_VOLUMES = {"v": "volume", "q": "quoteVolume"}
_TICKER = {
    "p": "priceChange",
    "P": "priceChangePercent",
    "w": "weightedAvgPrice",
    "x": "prevClosePrice",
    "c": "lastPrice",
    "Q": "lastQty",
    "b": "bidPrice",
    "B": "bidQty",
    "a": "askPrice",
    "A": "askQty",
    "o": "openPrice",
    "h": "highPrice",
    "l": "lowPrice",
    "v": "volume",
    "q": "quoteVolume",
    "O": "openTime",
    "C": "closeTime",
    "F": "firstId",
    "L": "lastId",
    "n": "count",
}


_WINDOW_TICKER = {
    "p": "priceChange",
    "P": "priceChangePercent",
    "o": "openPrice",
    "h": "highPrice",
    "l": "lowPrice",
    "c": "lastPrice",
    "w": "weightedAvgPrice",
    "v": "volume",
    "q": "quoteVolume",
    "O": "openTime",
    "C": "closeTime",
    "F": "firstId",
    "L": "lastId",
    "n": "count",
}


def top_of_book(exchange: Exchange, symbol: str) -> Top:
    """The best level of each side of ``symbol``'s book."""
    depth = exchange.depth(symbol, 1)
    return (depth.bids[0] if depth.bids else None), (depth.asks[0] if depth.asks else None)


def _head(kind: str, instrument: Instrument, ts: int) -> dict[str, Any]:
    return {"e": kind, "E": ts, "s": binance_name(instrument)}


def depth_update_event(instrument: Instrument, changes: list[tuple], ts: int) -> dict[str, Any]:
    """The LEVEL records of one book in one command or window: ``U``..``u`` the book sequences they took."""
    price, quantity = instrument.format_price, instrument.format_quantity
    levels: tuple[dict[int, int], dict[int, int]] = ({}, {})  # by side code: bids (BUY), asks (SELL)
    for _, _, side, level, lots, _ in changes:  # a level changed twice: its final quantity
        levels[side][level] = lots
    bids, asks = levels
    return {
        **_head("depthUpdate", instrument, ts),
        "U": changes[0][-1],  # a LEVEL record ends with the book's sequence
        "u": changes[-1][-1],
        "b": [[price(p), quantity(q)] for p, q in bids.items()],
        "a": [[price(p), quantity(q)] for p, q in asks.items()],
    }


def trade_event(trade: tuple, instrument: Instrument, ts: int) -> dict[str, Any]:
    """``trade``: one TRADE record."""
    agg = _agg_trade(trade, instrument)
    return {**_head("trade", instrument, ts), "t": trade[T_ID], **_fields(agg, "p", "q", "T", "m", "M")}


def agg_trade_event(trade: tuple, instrument: Instrument, ts: int) -> dict[str, Any]:
    """``aggTrade``: one TRADE record, an aggregate of itself alone."""
    return {**_head("aggTrade", instrument, ts), **_agg_trade(trade, instrument)}


def _agg_trade(trade: tuple, instrument: Instrument) -> dict[str, Any]:
    buyer_maker = trade[T_TAKER_SIDE] == SELL
    return render_agg_trade(instrument, trade[T_ID], trade[T_PRICE], trade[T_QTY], trade[T_TS], buyer_maker)


def ticker_event(instrument: Instrument, last: int | None, top: Top, window: WindowStats | None, ts: int):
    """``24hrTicker``: the rolling 24 hours as ``GET /ticker/24hr`` reports them."""
    rest = render_ticker(instrument, last, top, window, ts)
    return {**_head("24hrTicker", instrument, ts), **{key: rest[name] for key, name in _TICKER.items()}}


def window_ticker_event(
    instrument: Instrument,
    window: str,
    last: int | None,
    stats: WindowStats | None,
    open_time: int,
    ts: int,
) -> dict[str, Any]:
    """``<window>Ticker`` (``1hTicker``...): the trades since ``open_time``, as ``GET /ticker`` has them."""
    rest = render_window_ticker(instrument, last, stats, open_time, ts)
    fields = {key: rest[name] for key, name in _WINDOW_TICKER.items()}
    return {**_head(f"{window}Ticker", instrument, ts), **fields}


def avg_price_event(instrument: Instrument, average: dict[str, Any], ts: int) -> dict[str, Any]:
    """``avgPrice``: ``GET /avgPrice``'s price (``w``), its minutes (``i``) and last trade time (``T``)."""
    window = f"{average['mins']}m"
    return {
        **_head("avgPrice", instrument, ts),
        "i": window,
        "w": average["price"],
        "T": average["closeTime"],
    }


def mini_ticker_event(instrument: Instrument, last: int | None, window: WindowStats | None, ts: int):
    """``24hrMiniTicker``: last price, open, high, low and volumes of the rolling 24 hours."""
    rest = render_ticker(instrument, last, (None, None), window, ts)
    fields = {**_MINI_TICKER, **_MINI_TICKER_VOLUMES}
    return {**_head("24hrMiniTicker", instrument, ts), **{key: rest[name] for key, name in fields.items()}}


def book_ticker_event(instrument: Instrument, top: Top, sequence: int) -> dict[str, Any]:
    """The best bid and ask; ``u`` is the book sequence they are at (spot sends no ``e`` nor ``E``)."""
    (bid, bid_qty), (ask, ask_qty) = (level or (0, 0) for level in top)
    price, quantity = instrument.format_price, instrument.format_quantity
    return {
        "u": sequence,
        "s": binance_name(instrument),
        "b": price(bid),
        "B": quantity(bid_qty),
        "a": price(ask),
        "A": quantity(ask_qty),
    }


def kline_event(candle: Candle, interval: str, instrument: Instrument, ts: int) -> dict[str, Any]:
    """The candle in progress or just closed (``x``), from the ``GET /klines`` row."""
    row = render_kline(candle, INTERVALS[interval], instrument)
    keys = ("t", "o", "h", "l", "c", "v", "T", "q", "n", "V", "Q", "B")
    k = dict(zip(keys, row, strict=True))
    kline = {"t": k["t"], "T": k["T"], "s": binance_name(instrument), "i": interval}
    kline.update({"f": candle.first_trade_id, "L": candle.last_trade_id})
    kline.update({key: k[key] for key in ("o", "c", "h", "l", "v", "n")})
    kline.update({"x": candle.closed, "q": k["q"], "V": k["V"], "Q": k["Q"], "B": k["B"]})
    return {**_head("kline", instrument, ts), "k": kline}


def _fields(source: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: source[key] for key in keys}
