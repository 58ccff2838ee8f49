"""An account's engine event records as Binance user data events: ``executionReport``,
``outboundAccountPosition`` and ``balanceUpdate`` (a deposit or withdrawal).

Each report is the REST order object (``render_order``) under the short keys of the user data stream.
Records are read as tuples; the views a report is rendered from are built for followed accounts only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container
from typing import Any

from ...engine import CommandResult, Exchange, FillView, OrderView, format_amount
from ...engine.events import (
    ACCEPTED,
    BALANCE,
    BALANCES,
    CANCELED,
    EXPIRED,
    REPLACED,
    T_MAKER,
    T_TAKER,
    TRADE,
    TRANSFER,
    account_of,
    balance_changes,
    fill_view,
    order_of,
    order_view,
)
from .render import render_order

__all__ = ["user_events"]

_EXECUTION_TYPES = {ACCEPTED: "NEW", CANCELED: "CANCELED", EXPIRED: "EXPIRED", REPLACED: "REPLACED"}
"""The order record kinds an ``executionReport`` tells, by its execution type."""
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


def account_position(changes: list[tuple[str, int, int]], ts: int) -> dict[str, Any]:
    """``outboundAccountPosition``: the assets one command changed, as (asset, free, locked)."""
    balances = [
        {"a": asset, "f": format_amount(available), "l": format_amount(locked)}
        for asset, available, locked in changes
    ]
    return {"e": "outboundAccountPosition", "E": ts, "u": ts, "B": balances}


def balance_update(asset: str, amount: int, ts: int) -> dict[str, Any]:
    """``balanceUpdate``: units of one asset deposited (positive ``d``) or withdrawn (negative)."""
    return {"e": "balanceUpdate", "E": ts, "a": asset, "d": format_amount(amount), "T": ts}


def user_events(
    exchange: Exchange, result: CommandResult, ts: int, followed: Container[str]
) -> dict[str, list[dict[str, Any]]]:
    """What one command tells each ``followed`` account it touched, in order: its reports, then its
    balances (the others' events are never rendered)."""
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    balances_moved = False  # a followed account's balance changed
    for record in result.records:
        kind = record[0]
        if kind in _EXECUTION_TYPES:
            account = account_of(record[1])
            if account in followed:
                report = execution_report(exchange, order_of(record), _EXECUTION_TYPES[kind], ts)
                events[account].append(report)
        elif kind == TRADE:
            for order, maker in ((record[T_MAKER], True), (record[T_TAKER], False)):
                account = account_of(order)
                if account in followed:  # the order as the command left it, as GET /order shows it
                    fill = fill_view(record, maker)
                    events[account].append(execution_report(exchange, order_view(order), "TRADE", ts, fill))
        elif kind == BALANCE:
            balances_moved = balances_moved or record[1] in followed
        elif kind == BALANCES:
            balances_moved = balances_moved or record[1].account.name in followed  # record[1]: a seat
        elif kind == TRANSFER:
            _, account, asset, amount = record
            if account in followed:
                events[account].append(balance_update(asset, amount, ts))
    if balances_moved:
        positions: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for account, asset, available, locked in balance_changes(result.records):
            if account in followed:
                positions[account].append((asset, available, locked))
        for account, changes in positions.items():
            events[account].append(account_position(changes, ts))
    return events
