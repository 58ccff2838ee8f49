"""Length-prefixed, CRC32-checked records: what journal files and snapshot files are made of.

A record is ``<payload length: u32 LE><zlib.crc32 of the payload: u32 LE><payload>``, so a record cut
short by a crash (or damaged on disk) is told apart from a whole one, and reading stops before it.
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["find_records", "frame", "is_torn_tail", "read_frames"]

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
    """Whether what follows ``offset``, where reading stopped, is what a crash leaves: one record with
    fewer bytes than its length says, then at most zeros.

    A record with all its bytes that fails its checksum is damage, not a torn write: it was written
    whole, and acknowledged. The one exception is a record ending in zeros at the end of the file: a
    crash extended the file but its end never reached the disk (no journal payload ends in a zero byte:
    they are JSON). Anything but zeros after the record is damage too.
    """
    size = len(data)
    if offset + _HEAD.size > size:  # its head cut short: fewer bytes than any record has
        return True
    length, crc = _HEAD.unpack_from(data, offset)
    start, end = offset + _HEAD.size, offset + _HEAD.size + length
    if not length:  # zeros where a head should be: the file was extended, nothing written there
        return not data[offset:].strip(b"\0")
    if end > size:  # cut short, or a damaged length: then the payload, or whole records, follow
        if zlib.crc32(memoryview(data)[start:]) == crc:
            return False  # the whole payload is there: its length is what is damaged
        return not _holds_a_record(data, offset + 1)
    if data[end:].strip(b"\0"):
        return False  # bytes were written after it: it was whole
    return data[end - 1] == 0


def find_records(data: bytes, start: int, opening: bytes = b"") -> tuple[list[tuple[int, bytes]], int]:
    """Every whole record in ``data`` from ``start`` on, wherever it begins (damage shifts where records
    start), with its offset; and how many bytes no whole record covers. ``opening`` is how every payload
    begins, which spares a checksum at most offsets."""
    view, head, size = memoryview(data), _HEAD.size, len(data)
    found, offset, covered = [], start, 0
    while offset + head <= size:
        length, crc = _HEAD.unpack_from(view, offset)
        end = offset + head + length
        if (
            0 < length
            and end <= size
            and data.startswith(opening, offset + head)
            and zlib.crc32(view[offset + head : end]) == crc
        ):
            found.append((offset, bytes(view[offset + head : end])))
            covered += end - offset
            offset = end
        else:
            offset += 1
    return found, size - start - covered


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
