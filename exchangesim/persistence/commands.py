"""Engine commands as journal records, the Exchange that records them, and replaying them.

A record is a tuple: the command's name, then its arguments in the order of ``FIELDS[name]``, in JSON
types only (fee tiers and instruments as their decimal strings). Only commands that changed state are
recorded: a command that raises ``EngineError`` changed nothing. Twisted-free, like the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import attrs

from ..engine import ClientIdScope, CommandResult, Exchange, FeeTier, Instrument, SelfTradePrevention

__all__ = ["FIELDS", "JournalFailedError", "JournaledExchange", "Recorder", "apply_record", "timestamp_of"]

FIELDS: dict[str, tuple[str, ...]] = {
    "place": (
        "account",
        "symbol",
        "side",
        "order_type",
        "quantity",
        "price",
        "ts",
        "time_in_force",
        "stop_price",
        "quote_quantity",
        "client_order_id",
        "stp",
        "client_id_scope",
    ),
    "cancel": ("account", "order_id", "client_order_id", "ts"),
    "cancel_all": ("account", "symbol", "ts"),
    "replace": ("account", "order_id", "client_order_id", "quantity", "price", "ts"),
    "deposit": ("account", "asset", "amount", "ts"),
    "withdraw": ("account", "asset", "amount", "ts"),
    "open_account": ("name", "fee_tier"),
    "close_account": ("name",),
    "set_fee_tier": ("account", "fee_tier"),
    "add_instrument": ("instrument",),
    "open_market": ("symbol", "price"),
    "set_trading": ("symbol", "trading"),
    "register_key": ("account", "key", "secret"),
}
"""Each record kind and its arguments, in record order (``register_key``: an API key of an account)."""
_ADDED = {"place": 1}
"""Arguments appended to a kind since journals were first written (``place``: ``client_id_scope``): a
record written before leaves them out, and the command takes its default."""

_R = TypeVar("_R")
_INSTRUMENT_FIELDS = tuple(field.name for field in attrs.fields(Instrument) if field.init)
_HOLDING_OBJECTS = frozenset(("open_account", "set_fee_tier", "add_instrument"))  # fee tiers, instruments


class JournalFailedError(RuntimeError):
    """A record could not be written: the engine's state has gone past its journal, so every command is
    refused from then on (one acknowledged now would be lost at the next start)."""


class Recorder(Protocol):
    """Where records go: the journal, or a plain list in tests."""

    def append(self, record: tuple) -> None: ...


class JournaledExchange(Exchange):
    """An Exchange that journals every command that changed state, before its subscribers hear of it.

    A command's record is written when it publishes its result, so a command a subscriber issues in
    turn is journaled after it, as replay must run them; one that raises first (refused, changed
    nothing) is not written, nor is a ``cancel_all`` that found nothing to cancel. With ``journal``
    None (while the state is being built or recovered) nothing is recorded. Once a record fails to be
    written, ``failure`` holds why, ``on_failure`` hears of it, that command raises ``JournalFailedError``
    (from the write's error) and every later one raises it before it runs.
    """

    def __init__(self, fee_account: str = "fees") -> None:
        super().__init__(fee_account)
        self.journal: Recorder | None = None
        self.failure: Exception | None = None
        self.on_failure: Callable[[Exception], object] = lambda error: None
        self._pending: tuple | None = None  # the running command's record, not written yet

    def _journaled(self, kind: str, command: Callable[..., _R], /, **arguments: Any) -> _R:
        """Run ``command``, writing its record when it publishes (``_publish``), else when it returns."""
        if self.journal is None:
            return command(**arguments)
        if self.failure is not None:
            raise JournalFailedError(f"the journal could not be written ({self.failure}): no command runs")
        values = map(arguments.__getitem__, FIELDS[kind])
        self._pending = (kind, *(map(_encoded, values) if kind in _HOLDING_OBJECTS else values))
        try:
            result = command(**arguments)
        except BaseException:
            self._pending = None
            raise
        if self._pending is not None:  # it published nothing (administration, or a place nobody hears)
            self._write_pending()
        return result

    def _write_pending(self) -> None:
        record, self._pending = self._pending, None
        try:
            self.journal.append(record)  # type: ignore[union-attr,arg-type]
        except Exception as error:  # a full disk, an I/O error: this command's effect is not on record
            self.failure = error
            self.on_failure(error)
            raise JournalFailedError(f"the journal could not be written ({error})") from error

    def _publish(self, result: CommandResult) -> CommandResult:
        if self._pending is not None:
            if self._pending[0] != "cancel_all" or result.events:
                self._write_pending()
            else:
                self._pending = None
        return super()._publish(result)

    def _publish_rejection(self, *args: Any) -> None:
        self._pending = None  # a refused place changed nothing
        super()._publish_rejection(*args)

    def add_instrument(self, instrument: Instrument) -> None:
        self._journaled("add_instrument", super().add_instrument, instrument=instrument)

    def open_account(self, name: str, fee_tier: FeeTier | None = None) -> None:
        self._journaled("open_account", super().open_account, name=name, fee_tier=fee_tier)

    def close_account(self, name: str) -> None:
        self._journaled("close_account", super().close_account, name=name)

    def set_fee_tier(self, account: str, fee_tier: FeeTier | None) -> None:
        self._journaled("set_fee_tier", super().set_fee_tier, account=account, fee_tier=fee_tier)

    def set_trading(self, symbol: str, trading: bool) -> None:
        self._journaled("set_trading", super().set_trading, symbol=symbol, trading=trading)

    def open_market(self, symbol: str, price: int) -> None:
        self._journaled("open_market", super().open_market, symbol=symbol, price=price)

    def deposit(self, account: str, asset: str, amount: int, *, ts: int) -> CommandResult:
        return self._journaled("deposit", super().deposit, account=account, asset=asset, amount=amount, ts=ts)

    def withdraw(self, account: str, asset: str, amount: int, *, ts: int) -> CommandResult:
        return self._journaled(
            "withdraw", super().withdraw, account=account, asset=asset, amount=amount, ts=ts
        )

    def place(
        self,
        account: str,
        symbol: str,
        side: str,
        order_type: str,
        quantity: int | None = None,
        price: int | None = None,
        *,
        ts: int,
        time_in_force: str | None = None,
        stop_price: int | None = None,
        quote_quantity: int | None = None,
        client_order_id: str | None = None,
        stp: str = SelfTradePrevention.NONE,
        client_id_scope: str = ClientIdScope.KEPT,
    ) -> CommandResult:
        return self._journaled(
            "place",
            super().place,
            account=account,
            symbol=symbol,
            side=side,
            order_type=order_type,
            quantity=quantity,
            price=price,
            ts=ts,
            time_in_force=time_in_force,
            stop_price=stop_price,
            quote_quantity=quote_quantity,
            client_order_id=client_order_id,
            stp=stp,
            client_id_scope=client_id_scope,
        )

    def cancel(
        self, account: str, order_id: int | None = None, *, client_order_id: str | None = None, ts: int
    ) -> CommandResult:
        return self._journaled(
            "cancel",
            super().cancel,
            account=account,
            order_id=order_id,
            client_order_id=client_order_id,
            ts=ts,
        )

    def cancel_all(self, account: str, symbol: str | None = None, *, ts: int) -> CommandResult:
        return self._journaled("cancel_all", super().cancel_all, account=account, symbol=symbol, ts=ts)

    def replace(
        self,
        account: str,
        order_id: int | None = None,
        *,
        client_order_id: str | None = None,
        quantity: int | None = None,
        price: int | None = None,
        ts: int,
    ) -> CommandResult:
        return self._journaled(
            "replace",
            super().replace,
            account=account,
            order_id=order_id,
            client_order_id=client_order_id,
            quantity=quantity,
            price=price,
            ts=ts,
        )


def apply_record(
    exchange: Exchange,
    record: tuple | list,
    register_key: Callable[[str, str, str], object] | None = None,
) -> CommandResult | None:
    """Run one record's command on ``exchange`` (an API key goes to ``register_key``, if given)."""
    name, *values = record
    if name == "register_key":
        if register_key is not None:
            register_key(*values)
        return None
    fields = FIELDS[name]
    if len(values) == len(fields) - _ADDED.get(name, 0):
        fields = fields[: len(values)]
    arguments: dict[str, Any] = dict(zip(fields, values, strict=True))
    if "fee_tier" in arguments:
        tier = arguments["fee_tier"]
        arguments["fee_tier"] = None if tier is None else FeeTier(tier[0], Decimal(tier[1]), Decimal(tier[2]))
    if "instrument" in arguments:
        arguments["instrument"] = Instrument(**arguments["instrument"])
    return getattr(Exchange, name)(exchange, **arguments)


def timestamp_of(record: tuple | list) -> int | None:
    """The market time a record's command was stamped with (None for those without one)."""
    fields = FIELDS.get(record[0], ())
    return record[1 + fields.index("ts")] if "ts" in fields else None


def _encoded(value: Any) -> Any:
    """An argument in JSON types: a fee tier as [name, maker, taker], an instrument as its fields."""
    if isinstance(value, FeeTier):
        return [value.name, str(value.maker_fee), str(value.taker_fee)]
    if isinstance(value, Instrument):
        return {name: _encoded(getattr(value, name)) for name in _INSTRUMENT_FIELDS}
    return str(value) if isinstance(value, Decimal) else value
