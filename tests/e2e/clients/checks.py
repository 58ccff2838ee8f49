"""What every client's driver must have seen, whichever library it used: its reports hold the JSON the
daemon sent, as the client returned it, so one set of checks serves the three suites."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from .driver_io import LOW_BID, PRICE, SYMBOL

ASK, BID = Decimal(PRICE), Decimal(LOW_BID)


def levels(rows: list[list[str]]) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(price), Decimal(quantity)) for price, quantity in rows]


def check_market_data(report: dict[str, Any]) -> None:
    """After alice's ask of 0.5 at ``PRICE``, bob's market buy of 0.2 and alice's bid of 0.1 at
    ``LOW_BID``."""
    assert report["ping"] == {}
    assert abs(report["time"]["serverTime"] - time.time() * 1000) < 60_000
    [info] = [s for s in report["exchange_info"]["symbols"] if s["symbol"] == SYMBOL]
    filters = {f["filterType"]: f for f in info["filters"]}
    assert (info["status"], info["baseAsset"], info["quoteAsset"]) == ("TRADING", "BTC", "USD")
    assert Decimal(filters["PRICE_FILTER"]["tickSize"]) == Decimal("0.01")
    assert Decimal(filters["LOT_SIZE"]["stepSize"]) == Decimal("0.0001")
    book = report["depth"]
    assert levels(book["asks"]) == [(ASK, Decimal("0.3"))] and levels(book["bids"]) == [(BID, Decimal("0.1"))]
    [trade] = report["trades"]
    assert (Decimal(trade["price"]), Decimal(trade["qty"]), trade["isBuyerMaker"]) == (
        ASK,
        Decimal("0.2"),
        False,
    )
    [kline] = report["klines"]
    assert Decimal(kline[4]) == ASK and Decimal(kline[5]) >= Decimal("0.2")
    ticker = report["ticker_24hr"]
    assert ticker["symbol"] == SYMBOL and Decimal(ticker["lastPrice"]) == ASK
    assert (Decimal(ticker["bidPrice"]), Decimal(ticker["askPrice"]), Decimal(ticker["askQty"])) == (
        BID,
        ASK,
        Decimal("0.3"),
    )
    assert report["ticker_price"]["symbol"] == SYMBOL and Decimal(report["ticker_price"]["price"]) == ASK
    top = report["book_ticker"]
    assert levels([[top["bidPrice"], top["bidQty"]], [top["askPrice"], top["askQty"]]]) == [
        (BID, Decimal("0.1")),
        (ASK, Decimal("0.3")),
    ]
    assert Decimal(report["avg_price"]["price"]) == ASK  # every trade of the suites is at PRICE


def total(account: dict[str, Any], asset: str) -> Decimal:
    [balance] = [b for b in account["balances"] if b["asset"] == asset]
    return Decimal(balance["free"]) + Decimal(balance["locked"])


def check_trading(report: dict[str, Any], refused_as: dict[str, Any]) -> None:
    """Alice asks 0.3 at ``PRICE``, bob takes 0.1, alice bids 0.1 at ``LOW_BID``; the bid is canceled,
    then all her open orders (the rest of the ask). Bob's bid beyond his balance and a ticker of an
    unknown symbol are refused as the client raises an error (``refused_as``: its fields but the code)."""
    ask, taken, bid = report["ask"], report["taken"], report["bid"]
    assert (ask["status"], ask["side"], ask["type"], Decimal(ask["origQty"])) == (
        "NEW",
        "SELL",
        "LIMIT",
        Decimal("0.3"),
    )
    assert (taken["status"], taken["type"], Decimal(taken["executedQty"])) == (
        "FILLED",
        "MARKET",
        Decimal("0.1"),
    )
    assert [Decimal(fill["price"]) for fill in taken["fills"]] == [ASK]
    assert (bid["status"], Decimal(bid["price"])) == ("NEW", BID)
    queried = report["queried"]
    assert (queried["orderId"], queried["status"]) == (ask["orderId"], "PARTIALLY_FILLED")
    assert Decimal(queried["executedQty"]) == Decimal("0.1")
    assert {order["orderId"] for order in report["open_orders"]} == {ask["orderId"], bid["orderId"]}
    assert (report["canceled"]["orderId"], report["canceled"]["status"]) == (bid["orderId"], "CANCELED")
    assert [(o["orderId"], o["status"]) for o in report["canceled_all"]] == [(ask["orderId"], "CANCELED")]
    assert report["open_after"] == []
    [mine] = report["my_trades"]
    assert (mine["orderId"], mine["isMaker"], mine["isBuyer"]) == (ask["orderId"], True, False)
    assert (Decimal(mine["price"]), Decimal(mine["qty"])) == (ASK, Decimal("0.1"))
    before, after = report["account_before"], report["account_after"]
    assert after["canTrade"] and total(before, "BTC") - total(after, "BTC") == Decimal("0.1")
    assert mine["commissionAsset"] == "USD"
    received = Decimal("0.1") * ASK - Decimal(mine["commission"])
    assert total(after, "USD") - total(before, "USD") == received
    assert report["insufficient_balance"] == {**refused_as, "code": -2010}
    assert report["bad_symbol"] == {**refused_as, "code": -1121}


def check_streams(report: dict[str, Any]) -> None:
    """The first message of each event-driven market stream after alice asked 0.1 at ``PRICE`` and bob
    took it."""
    trade = report["trade"]
    assert (trade["e"], trade["s"], Decimal(trade["p"]), Decimal(trade["q"]), trade["m"]) == (
        "trade",
        SYMBOL,
        ASK,
        Decimal("0.1"),
        False,
    )
    diff = report["depthUpdate"]
    assert diff["s"] == SYMBOL and diff["U"] <= diff["u"] and ASK in [price for price, _ in levels(diff["a"])]
    ticker = report["24hrTicker"]
    assert (ticker["s"], Decimal(ticker["c"])) == (SYMBOL, ASK)
    candle = report["kline"]["k"]
    assert (candle["s"], candle["i"], Decimal(candle["c"]), candle["x"]) == (SYMBOL, "1m", ASK, False)
    assert Decimal(candle["v"]) >= Decimal("0.1")


def check_partial_depth(partial: dict[str, Any]) -> None:
    """A ``<symbol>@depth5`` snapshot: sent on a clock, so whatever the book holds then."""
    assert isinstance(partial["lastUpdateId"], int) and max(len(partial["bids"]), len(partial["asks"])) <= 5
    assert all(price > 0 and quantity > 0 for price, quantity in levels(partial["bids"] + partial["asks"]))


def check_placed_and_canceled(placed: dict[str, Any], canceled: dict[str, Any]) -> None:
    """A bid of 0.1 at ``LOW_BID`` placed, then canceled."""
    assert (placed["symbol"], placed["status"], placed["side"], Decimal(placed["price"])) == (
        SYMBOL,
        "NEW",
        "BUY",
        BID,
    )
    assert (canceled["orderId"], canceled["status"]) == (placed["orderId"], "CANCELED")


def check_listen_key_stream(report: dict[str, Any], listen_key: Any) -> None:
    """A listen key created, renewed and closed (each of these two answered ``{}``), its stream carrying
    the events of alice's bid."""
    assert isinstance(listen_key, str) and listen_key
    assert report["renewed"] == report["closed"] == {}
    check_user_events(report["events"], report["bid"])


def check_user_events(events: dict[str, Any], bid: dict[str, Any]) -> None:
    """The user data events of alice's bid (0.1 at ``LOW_BID``), placed and canceled."""
    new, canceled = events["executionReport NEW"], events["executionReport CANCELED"]
    assert (new["i"], new["s"], new["S"], new["x"], Decimal(new["p"])) == (
        bid["orderId"],
        SYMBOL,
        "BUY",
        "NEW",
        BID,
    )
    assert (canceled["i"], canceled["x"]) == (bid["orderId"], "CANCELED")
    [usd] = [b for b in events["outboundAccountPosition"]["B"] if b["a"] == "USD"]
    assert Decimal(usd["l"]) == Decimal("0.1") * BID  # the bid's quote, locked
