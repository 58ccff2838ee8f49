"""Snapshot files: a header record (JSON) and the pickled state (one record), written atomically.

The files are the operator's own, like the configuration, so pickle is fine for the state; they are
created 0600, written to a temporary file, synced and renamed, and checked by the records' CRC32 on
reading. The header names the file's format (``formats.py``), which says how its state reads.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
from pathlib import Path
from typing import Any

from .formats import check_format, format1_state
from .framing import frame, read_frames
from .journal import encode, sync_directory, write_all

__all__ = ["SnapshotError", "read_snapshot", "read_snapshot_header", "write_snapshot"]

SNAPSHOT_MAGIC = b"XSSNAP1\n"


class SnapshotError(Exception):
    """A snapshot file that cannot be used: not a snapshot, cut short or damaged."""


def write_snapshot(path: Path, header: dict[str, Any], state: Any) -> int:
    """Write ``state`` under ``header`` to ``path`` atomically; return the file's size."""
    data = SNAPSHOT_MAGIC + frame(encode(header)) + frame(pickle.dumps(state, pickle.HIGHEST_PROTOCOL))
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
    """The header and state of a snapshot file, the state as this version holds it; raises
    SnapshotError when the file is not whole, FormatError when it is of a format not read here."""
    data = path.read_bytes()
    if not data.startswith(SNAPSHOT_MAGIC):
        raise SnapshotError(f"{path} is not an exchangesim snapshot")
    payloads, end = read_frames(data, len(SNAPSHOT_MAGIC))
    if len(payloads) != 2 or end != len(data):
        raise SnapshotError(f"{path} is damaged (checksum or length does not match)")
    header = json.loads(payloads[0])
    check_format(header, path)
    return header, format1_state(payloads[1]) if header["format"] == 1 else pickle.loads(payloads[1])


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
