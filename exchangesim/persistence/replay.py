"""``exchangesim replay``: replay a persistence folder (or one journal segment) into a fresh Exchange,
print what happened, and export the fills and orders as CSV.

A folder replays from its oldest whole snapshot through every journal segment after it; a segment file
replays from the snapshot of the same number (the state it started from) through that segment.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import IO

import attrs

from ..engine import CommandResult, Exchange, OrderView, Trade, format_amount
from .directory import PersistenceError, StateDirectory
from .journal import JournalError, read_journal
from .recovery import StoredState, load_stored_state, replay_segments
from .snapshots import SnapshotError, read_snapshot

__all__ = ["Replay", "replay", "write_fills", "write_orders"]

FILL_COLUMNS = (
    "trade_id",
    "ts",
    "symbol",
    "price",
    "quantity",
    "quote",
    "taker_side",
    "maker_order_id",
    "taker_order_id",
    "maker_account",
    "taker_account",
    "maker_fee",
    "maker_fee_asset",
    "taker_fee",
    "taker_fee_asset",
)
ORDER_COLUMNS = (
    "order_id",
    "client_order_id",
    "account",
    "symbol",
    "side",
    "type",
    "time_in_force",
    "price",
    "quantity",
    "status",
    "filled",
    "cum_quote",
    "fee",
    "fee_asset",
    "created",
    "updated",
)


@attrs.define
class Replay:
    """What a replay produced: the final exchange, the trades, and the last view of every order the
    snapshot held (open, or closed recently enough to be kept) or the journal touched."""

    exchange: Exchange
    snapshot: int
    segments: list[Path]
    commands: Counter[str] = attrs.Factory(Counter)
    trades: list[Trade] = attrs.Factory(list)
    orders: dict[int, OrderView] = attrs.Factory(dict)
    first_ts: int | None = None
    last_ts: int | None = None
    torn: bool = False  # the last segment ends in a torn record, left out

    def record(self, result: CommandResult) -> None:
        """Engine subscriber: keep the trades and the newest view of each order."""
        self.trades.extend(result.trades)
        for event in result.events:
            order = getattr(event, "order", None)
            if isinstance(order, OrderView):
                self.orders[order.order_id] = order

    def summary(self) -> str:
        """A human-readable account of the replay."""
        exchange = self.exchange
        records = sum(self.commands.values())
        lines = [
            f"replayed {records} records from snapshot {self.snapshot} through"
            f" {len(self.segments)} journal segment(s)"
            + (" (a torn last record left out)" if self.torn else ""),
        ]
        if self.first_ts is not None:
            lines.append(
                f"time span: {self.first_ts} .. {self.last_ts} ms ({self.last_ts - self.first_ts} ms)"
            )
        lines.append(
            "commands: " + ", ".join(f"{name} {count}" for name, count in sorted(self.commands.items()))
        )
        lines.append(f"orders placed: {self.commands['place']}, trades: {len(self.trades)}")
        for instrument in exchange.instruments():
            mine = [trade for trade in self.trades if trade.symbol == instrument.symbol]
            volume = sum(trade.quantity for trade in mine)
            quote = sum(trade.quote for trade in mine)
            lines.append(
                f"  {instrument.symbol}: {len(mine)} trades, volume {instrument.format_quantity(volume)}"
                f" {instrument.base}, {format_amount(quote)} {instrument.quote}"
            )
        lines.append("final balances (total, of which locked):")
        for account in exchange.account_names():
            balances = exchange.balances(account)
            held = ", ".join(
                f"{asset} {format_amount(view.available + view.locked)} ({format_amount(view.locked)})"
                for asset, view in sorted(balances.items())
                if view.available or view.locked
            )
            lines.append(f"  {account}: {held or 'nothing'}")
        return "\n".join(lines)


def replay(path: str | Path) -> Replay:
    """Replay a persistence folder or one journal segment; raises PersistenceError when it cannot."""
    path = Path(path)
    stored = _load_folder(path) if path.is_dir() else _load_segment(path)
    exchange = Exchange()
    exchange.restore(stored.state["exchange"])
    result = Replay(exchange, stored.snapshot, [segment.path for segment in stored.segments])
    result.torn = any(segment.torn for segment in stored.segments)
    for account in exchange.account_names():  # the orders the snapshot holds, open and recently closed
        result.orders.update((order.order_id, order) for order in exchange.orders(account))
    exchange.subscribe(result.record)
    for command, _ in replay_segments(exchange, stored.segments):
        result.commands[command.kind] += 1
        ts = getattr(command, "ts", None)
        if ts is not None:
            result.first_ts = ts if result.first_ts is None else result.first_ts
            result.last_ts = ts
    return result


def write_fills(result: Replay, file: IO[str]) -> None:
    """The replay's trades as CSV, prices and amounts as decimal strings."""
    writer = csv.writer(file)
    writer.writerow(FILL_COLUMNS)
    for trade in result.trades:
        instrument = result.exchange.instrument(trade.symbol)
        writer.writerow(
            (
                trade.trade_id,
                trade.ts,
                trade.symbol,
                instrument.format_price(trade.price),
                instrument.format_quantity(trade.quantity),
                format_amount(trade.quote),
                trade.taker_side,
                trade.maker_order_id,
                trade.taker_order_id,
                trade.maker_account,
                trade.taker_account,
                format_amount(trade.maker_fee),
                trade.maker_fee_asset,
                format_amount(trade.taker_fee),
                trade.taker_fee_asset,
            )
        )


def write_orders(result: Replay, file: IO[str]) -> None:
    """The last state of every order the replay saw, as CSV."""
    writer = csv.writer(file)
    writer.writerow(ORDER_COLUMNS)
    for order_id in sorted(result.orders):
        order = result.orders[order_id]
        instrument = result.exchange.instrument(order.symbol)
        writer.writerow(
            (
                order.order_id,
                order.client_order_id or "",
                order.account,
                order.symbol,
                order.side,
                order.type,
                order.time_in_force or "",
                "" if order.price is None else instrument.format_price(order.price),
                "" if order.quantity is None else instrument.format_quantity(order.quantity),
                order.status,
                instrument.format_quantity(order.filled),
                format_amount(order.cum_quote),
                format_amount(order.fee),
                order.fee_asset,
                order.created,
                order.updated,
            )
        )


def _load_folder(path: Path) -> StoredState:
    stored = load_stored_state(StateDirectory(path), None, repair=False, oldest=True)
    if stored is None:
        raise PersistenceError(f"{path} holds no snapshot or journal")
    return stored


def _load_segment(path: Path) -> StoredState:
    """A segment file and the snapshot of its number beside it."""
    try:
        segment = read_journal(path)
    except (JournalError, OSError) as error:
        raise PersistenceError(str(error)) from None
    number = segment.header.get("segment")
    snapshot_path = StateDirectory(path.parent).snapshot_path(number) if isinstance(number, int) else None
    if snapshot_path is None or not snapshot_path.exists():
        raise PersistenceError(f"{path}: the snapshot it starts from ({snapshot_path}) is gone")
    try:
        header, state = read_snapshot(snapshot_path)
    except (SnapshotError, OSError) as error:
        raise PersistenceError(str(error)) from None
    return StoredState(number, header, state, [segment])
