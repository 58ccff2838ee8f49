"""Snapshot files: a header record (JSON) and the pickled state (one record), written atomically.

The files are the operator's own, like the configuration, so pickle is fine for the state; they are
created 0600, written to a temporary file, synced and renamed, and checked by the records' CRC32 on
reading. The engine pickles as it is, except each market's order book, whose match sink is a closure
of the market: it is rebuilt by a fresh ``Market`` and the book's state copied in.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
from pathlib import Path
from typing import Any

from ..engine import Exchange, Instrument
from ..engine.market import Market
from ..engine.orderbook import OrderBook
from .framing import frame, read_frames
from .journal import encode, sync_directory, write_all

__all__ = [
    "SnapshotError",
    "exchange_state",
    "read_snapshot",
    "read_snapshot_header",
    "restore_exchange",
    "write_snapshot",
]

SNAPSHOT_MAGIC = b"XSSNAP1\n"
_ENGINE_FIELDS = tuple(name for name in vars(Exchange()) if name != "_subscribers")
_MARKET_FIELDS = tuple(name for name in Market.__slots__ if name not in ("book", "_matches", "instrument"))
_BOOK_FIELDS = tuple(name for name in OrderBook.__slots__ if name != "_on_match")


class SnapshotError(Exception):
    """A snapshot file that cannot be used: not a snapshot, cut short or damaged."""


def exchange_state(exchange: Exchange) -> dict[str, Any]:
    """Everything an Exchange holds but its subscribers (and what a subclass adds)."""
    return {name: getattr(exchange, name) for name in _ENGINE_FIELDS}


def restore_exchange(exchange: Exchange, state: dict[str, Any]) -> None:
    """Put ``state`` (from ``exchange_state``) into ``exchange``, keeping its subscribers."""
    vars(exchange).update(state)


def write_snapshot(path: Path, header: dict[str, Any], state: Any) -> int:
    """Write ``state`` under ``header`` to ``path`` atomically; return the file's size."""
    buffer = io.BytesIO()
    _Pickler(buffer, pickle.HIGHEST_PROTOCOL).dump(state)
    data = SNAPSHOT_MAGIC + frame(encode(header)) + frame(buffer.getvalue())
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        temporary.unlink()  # a full disk must not stay fuller for the attempt
        raise
    finally:
        os.close(fd)
    os.replace(temporary, path)
    sync_directory(path.parent)
    return len(data)


def read_snapshot(path: Path) -> tuple[dict[str, Any], Any]:
    """The header and state of a snapshot file; raises SnapshotError when it is not whole."""
    data = path.read_bytes()
    if not data.startswith(SNAPSHOT_MAGIC):
        raise SnapshotError(f"{path} is not an exchangesim snapshot")
    payloads, end = read_frames(data, len(SNAPSHOT_MAGIC))
    if len(payloads) != 2 or end != len(data):
        raise SnapshotError(f"{path} is damaged (checksum or length does not match)")
    return json.loads(payloads[0]), pickle.loads(payloads[1])


def read_snapshot_header(path: Path) -> dict[str, Any]:
    """Only the header of a snapshot file (not its state, which may be large or damaged); raises
    SnapshotError when it is not whole."""
    with path.open("rb") as file:
        data = file.read(len(SNAPSHOT_MAGIC) + 8)
        if data.startswith(SNAPSHOT_MAGIC) and len(data) == len(SNAPSHOT_MAGIC) + 8:
            (length,) = struct.unpack_from("<I", data, len(SNAPSHOT_MAGIC))
            data += file.read(min(length, 1 << 20))  # a header is small: a larger length is damage
    payloads, _ = read_frames(data, len(SNAPSHOT_MAGIC))
    if not data.startswith(SNAPSHOT_MAGIC) or not payloads:
        raise SnapshotError(f"{path}: the snapshot header is damaged")
    try:
        header = json.loads(payloads[0])
    except ValueError:
        raise SnapshotError(f"{path}: the snapshot header is not JSON") from None
    if not isinstance(header, dict):
        raise SnapshotError(f"{path}: the snapshot header is not an object")
    return header


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is Market:
            if obj._matches:
                raise RuntimeError("cannot snapshot a market in the middle of a command")
            book = obj.book
            own = {name: getattr(obj, name) for name in _MARKET_FIELDS}
            book_state = {name: getattr(book, name) for name in _BOOK_FIELDS}
            return _new_market, (obj.instrument,), (own, book_state), None, None, _set_market_state
        return NotImplemented


def _new_market(instrument: Instrument) -> Market:
    return Market(instrument, {}, [1])


def _set_market_state(market: Market, state: tuple[dict[str, Any], dict[str, Any]]) -> None:
    own, book_state = state
    for name, value in own.items():
        setattr(market, name, value)
    for name, value in book_state.items():
        setattr(market.book, name, value)
