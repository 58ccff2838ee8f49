"""Length-prefixed, CRC32-checked records: what journal files and snapshot files are made of.

A record is ``<payload length: u32 LE><zlib.crc32 of the payload: u32 LE><payload>``, so a record cut
short by a crash (or damaged on disk) is told apart from a whole one, and reading stops before it.
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["frame", "is_torn_tail", "read_frames"]

_HEAD = struct.Struct("<II")
MAX_RECORD = 1 << 31  # a length past this is damage, not a record


def frame(payload: bytes) -> bytes:
    """``payload`` (never empty: see ``read_frames``) as one record."""
    return _HEAD.pack(len(payload), zlib.crc32(payload)) + payload


def read_frames(data: bytes, offset: int = 0) -> tuple[list[bytes], int]:
    """The whole records of ``data`` from ``offset`` on, and the offset just past the last good one.

    Reading stops at the first record that is cut short, fails its checksum or is empty (no record is:
    eight zero bytes are what a crash leaves where it extended a file before writing it); the returned
    offset is then less than ``len(data)``.
    """
    view = memoryview(data)
    payloads = []
    size = len(data)
    head = _HEAD.size
    while offset + head <= size:
        length, crc = _HEAD.unpack_from(view, offset)
        start = offset + head
        if not length or length > MAX_RECORD or start + length > size:
            break
        payload = bytes(view[start : start + length])
        if zlib.crc32(payload) != crc:
            break
        payloads.append(payload)
        offset = start + length
    return payloads, offset


def is_torn_tail(data: bytes, offset: int) -> bool:
    """Whether what follows ``offset``, where reading stopped, is what a crash leaves: one record not
    wholly written, then at most zeros. Anything more is damage among records that were written whole."""
    if offset + _HEAD.size > len(data):
        return True
    length, _ = _HEAD.unpack_from(data, offset)
    end = offset + _HEAD.size + length
    if end > len(data):  # cut short, or a damaged length: then whole records follow somewhere
        return not _holds_a_record(data, offset + 1)
    return not data[end:].strip(b"\0")


def _holds_a_record(data: bytes, start: int) -> bool:
    """Whether a whole record (its checksum right) begins anywhere in ``data`` from ``start`` on."""
    view, head = memoryview(data), _HEAD.size
    for offset in range(start, len(data) - head):
        length, crc = _HEAD.unpack_from(view, offset)
        if (
            0 < length <= len(data) - offset - head
            and zlib.crc32(view[offset + head : offset + head + length]) == crc
        ):
            return True
    return False
