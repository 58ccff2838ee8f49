"""An account's engine events as Binance user data events: ``executionReport``,
``outboundAccountPosition`` and ``balanceUpdate`` (a deposit or withdrawal).

Each report is the REST order object (``render_order``) under the short keys of the user data stream.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container
from typing import Any

from ...engine import (
    BalanceChanged,
    BalanceTransferred,
    CommandResult,
    Exchange,
    FillView,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderReplaced,
    OrderView,
    Trade,
    format_amount,
)
from .render import render_order

__all__ = ["user_events"]

_EXECUTION_TYPES = {
    OrderAccepted: "NEW",
    OrderCanceled: "CANCELED",
    OrderExpired: "EXPIRED",
    OrderReplaced: "REPLACED",
}
_ORDER_KEYS = {
    "s": "symbol",
    "c": "clientOrderId",
    "S": "side",
    "o": "type",
    "f": "timeInForce",
    "q": "origQty",
    "p": "price",
    "P": "stopPrice",
    "F": "icebergQty",
    "X": "status",
    "i": "orderId",
    "z": "executedQty",
    "w": "isWorking",
    "O": "time",
    "Z": "cummulativeQuoteQty",
    "Q": "origQuoteOrderQty",
    "W": "workingTime",
    "V": "selfTradePreventionMode",
}


def execution_report(
    exchange: Exchange, order: OrderView, execution: str, ts: int, fill: FillView | None = None
) -> dict[str, Any]:
    """One ``executionReport``; ``fill`` is the trade a TRADE report is about."""
    instrument = exchange.instrument(order.symbol)
    rest = render_order(order, instrument)
    report: dict[str, Any] = {"e": "executionReport", "E": ts}
    report.update({key: rest[name] for key, name in _ORDER_KEYS.items()})
    canceled = execution == "CANCELED"
    report.update({"g": -1, "C": rest["clientOrderId"] if canceled else "", "x": execution, "r": "NONE"})
    price, quantity = instrument.format_price, instrument.format_quantity
    report.update(
        {
            "l": quantity(fill.quantity if fill else 0),
            "L": price(fill.price if fill else 0),
            "n": format_amount(fill.fee if fill else 0),
            "N": fill.fee_asset if fill else None,
            "T": fill.ts if fill else order.updated,
            "t": fill.trade_id if fill else -1,
            "I": 0,
            "m": bool(fill and fill.liquidity == "MAKER"),
            "M": False,
            "Y": format_amount(fill.quote if fill else 0, instrument.price_decimals),
        }
    )
    return report


def account_position(changes: list[BalanceChanged], ts: int) -> dict[str, Any]:
    """``outboundAccountPosition``: the assets one command changed, free and locked."""
    balances = [
        {"a": change.asset, "f": format_amount(change.available), "l": format_amount(change.locked)}
        for change in changes
    ]
    return {"e": "outboundAccountPosition", "E": ts, "u": ts, "B": balances}


def balance_update(transfer: BalanceTransferred, ts: int) -> dict[str, Any]:
    """``balanceUpdate``: units of one asset deposited (positive ``d``) or withdrawn (negative)."""
    return {"e": "balanceUpdate", "E": ts, "a": transfer.asset, "d": format_amount(transfer.amount), "T": ts}


def user_events(
    exchange: Exchange, result: CommandResult, ts: int, followed: Container[str]
) -> dict[str, list[dict[str, Any]]]:
    """What one command tells each ``followed`` account it touched, in order: its reports, then its
    balances (the others' events are never rendered)."""
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    balances: dict[str, list[BalanceChanged]] = defaultdict(list)
    for event in result.events:
        kind = type(event)
        if kind in _EXECUTION_TYPES:
            order = event.order
            if order.account in followed:
                events[order.account].append(execution_report(exchange, order, _EXECUTION_TYPES[kind], ts))
        elif kind is Trade:
            for account, fill in zip((event.maker_account, event.taker_account), event.fills(), strict=True):
                if account in followed:
                    order = exchange.get_order(account, fill.order_id)
                    events[account].append(execution_report(exchange, order, "TRADE", ts, fill))
        elif kind is BalanceChanged:
            if event.account in followed:
                balances[event.account].append(event)
        elif kind is BalanceTransferred and event.account in followed:
            events[event.account].append(balance_update(event, ts))
    for account, changes in balances.items():
        events[account].append(account_position(changes, ts))
    return events
