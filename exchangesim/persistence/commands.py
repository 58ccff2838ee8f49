"""Engine commands as journal records, the executor that journals them, and reading records back.

A record is a tuple: the command's ``kind``, then its field values in field order, in JSON types (a fee
tier and an instrument as their fields, decimals as strings: each field's type says how). Only commands
that changed state are recorded: one that raises EngineError changed nothing, and neither did a
``cancel_all`` that found nothing to cancel. API keys are recorded beside them (``RegisterKey``).
Twisted-free, like the engine.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

import attrs

from ..engine import CommandResult, Exchange, FeeTier, Instrument
from ..engine.commands import COMMANDS, CancelAll, Command, PlaceOrder, command_value
from ..engine.instruments import instrument_fields

__all__ = [
    "RECORDED",
    "JournalFailedError",
    "JournalWriter",
    "JournaledExecutor",
    "Recorder",
    "RegisterKey",
    "command_of",
    "record_of",
]


@command_value("register_key")
class RegisterKey(NamedTuple):
    """An API key of an account (kept by the API's key store, not the engine)."""

    account: str
    key: str
    secret: str


Recorded = Command | RegisterKey
RECORDED: tuple[type[Recorded], ...] = (*COMMANDS, RegisterKey)
"""Every kind of record, as the class of its command."""

_ADDED: dict[type, int] = {PlaceOrder: 1}
"""Fields appended to a command since journals were first written (``place``: ``client_id_scope``): a
record written before leaves them out, and the command takes their defaults."""


class JournalFailedError(RuntimeError):
    """A record could not be written: the engine's state has gone past its journal, so every command is
    refused from then on (one acknowledged now would be lost at the next start)."""


class Recorder(Protocol):
    """Where records go: the journal, or a plain list in tests."""

    def append(self, record: tuple) -> None: ...


class JournalWriter:
    """Appends records to ``journal``; once one fails to be written, ``failure`` holds why,
    ``on_failure`` hears of it, that record's command raises ``JournalFailedError`` (from the write's
    error) and every later one raises it before it runs (``check``)."""

    def __init__(
        self, journal: Recorder, on_failure: Callable[[Exception], object] = lambda error: None
    ) -> None:
        self._journal = journal
        self._on_failure = on_failure
        self.failure: Exception | None = None

    def check(self) -> None:
        """Refuse a command while the journal is known not to take its record."""
        if self.failure is not None:
            raise JournalFailedError(
                f"the journal could not be written ({self.failure}): nothing is accepted"
            )

    def write(self, command: Recorded) -> None:
        """Record a command that changed state."""
        try:
            self._journal.append(record_of(command))
        except Exception as error:  # a full disk, an I/O error: this command's effect is not on record
            self.failure = error
            self._on_failure(error)
            raise JournalFailedError(f"the journal could not be written ({error})") from error


class JournaledExecutor:
    """Runs an Exchange's commands (``exchange.set_executor``) and journals each one that changed state
    before its subscribers hear of it, so a command a subscriber issues in turn is journaled after it,
    as replay must run them."""

    def __init__(self, exchange: Exchange, writer: JournalWriter) -> None:
        self._exchange = exchange
        self._writer = writer

    def execute(self, command: Command) -> CommandResult | None:
        self._writer.check()
        result = self._exchange.apply(command)  # a refused command raises here: nothing to record
        if result is None or type(command) is not CancelAll or result.records:
            self._writer.write(command)
        if result is not None:
            self._exchange.publish(result)
        return result


def record_of(command: Recorded) -> tuple:
    """The journal record of a command."""
    encoders = _LAYOUTS[type(command)].encoders
    if encoders:
        values = zip(command, encoders, strict=True)
        return (command.kind, *(value if encode is None else encode(value) for value, encode in values))
    return (command.kind, *command)


def command_of(record: list | tuple) -> Recorded:
    """The command a journal record holds (ValueError when it holds none)."""
    kind, *values = record
    layout = _KINDS.get(kind)
    if layout is None:
        raise ValueError(f"no command is called {kind!r}")
    fields = len(layout.command_type._fields)
    if len(values) != fields and len(values) != fields - _ADDED.get(layout.command_type, 0):
        raise ValueError(f"a {kind} record holds {fields} values, not {len(values)}")
    for index, decode in layout.decoders:
        values[index] = decode(values[index])
    return layout.command_type(*values)


def _tier_fields(tier: FeeTier | None) -> list[str] | None:
    return None if tier is None else [tier.name, str(tier.maker_fee), str(tier.taker_fee)]


def _tier(fields: list[str] | None) -> FeeTier | None:
    return None if fields is None else FeeTier(fields[0], Decimal(fields[1]), Decimal(fields[2]))


def _instrument_fields(instrument: Instrument) -> dict[str, Any]:
    values = instrument_fields(instrument).items()
    return {name: str(value) if isinstance(value, Decimal) else value for name, value in values}


_TYPE_CODECS: dict[type, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    FeeTier: (_tier_fields, _tier),
    Instrument: (_instrument_fields, lambda fields: Instrument(**fields)),
}
"""How a value of a type that is not a JSON type is written into a record, and read back."""


@attrs.frozen
class _Layout:
    """A command class's records: for each field whose type is not a JSON type, how its values are
    written (``encoders``, None for the others; empty when no field needs one) and read back
    (``decoders``, by field index)."""

    command_type: type[Recorded]
    encoders: tuple[Callable[[Any], Any] | None, ...]
    decoders: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, command_type: type[Recorded]) -> _Layout:
        types = typing.get_type_hints(command_type)
        codecs = [
            next(
                (
                    _TYPE_CODECS[t]
                    for t in typing.get_args(types[name]) or (types[name],)
                    if t in _TYPE_CODECS
                ),
                None,
            )
            for name in command_type._fields
        ]
        return cls(
            command_type,
            tuple(None if codec is None else codec[0] for codec in codecs) if any(codecs) else (),
            tuple((index, codec[1]) for index, codec in enumerate(codecs) if codec is not None),
        )


_LAYOUTS = {command_type: _Layout.of(command_type) for command_type in RECORDED}
_KINDS = {command_type.kind: layout for command_type, layout in _LAYOUTS.items()}
