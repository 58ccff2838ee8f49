"""``exchangesim recover DIR [--salvage]``: what keeps a persistence folder from starting and what would be
lost getting past it; with ``--salvage``, and only then, the way past.

Salvaging moves every damaged file into ``DIR/damaged-<UTC time>/``, whole, and keeps what is intact:
the newest whole snapshot and the segments after it up to the damage, a damaged segment's records
before the damage staying in place as a copy cut there. The next start then recovers from that. What
was lost is reported: the whole records still found in what was moved (by command), the bytes holding
none, and the orders from which id on. The daemon never does this by itself.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import attrs

from ..engine import Exchange
from .commands import command_of
from .directory import StateDirectory
from .framing import find_records, frame, read_frames
from .journal import JOURNAL_MAGIC, JournalFile, encode, sync_directory, write_all
from .recovery import ChainBreak, read_chain, readable_snapshot, replay_record

__all__ = ["Salvage", "examine", "salvage"]


@attrs.define
class Salvage:
    """What ``examine`` found in a folder, and what salvaging it does (``salvage``) or did."""

    folder: Path
    problems: list[str] = attrs.Factory(list)  # what stops the start, or is skipped at it
    snapshot: int | None = None  # the snapshot to start from; None: nothing intact
    records: int = 0  # the intact journal records after it
    last_order: int | None = None  # the last order id the intact state holds
    aside: list[Path] = attrs.Factory(list)  # files to move into the damaged folder
    cut: dict[Path, int] = attrs.Factory(dict)  # of those, segments whose first bytes stay in place
    create: dict[Path, dict[str, Any]] = attrs.Factory(dict)  # empty segments a snapshot continues in
    lost: Counter[str] = attrs.Factory(Counter)  # whole records lost, by command
    lost_bytes: int = 0  # bytes lost that hold no whole record
    unknown: list[Path] = attrs.Factory(list)  # segments missing: what they held is unknown
    named_orders: int = 0  # the highest order id the lost records name
    moved_to: Path | None = None  # where the damaged files went, once salvaged

    @property
    def whole(self) -> bool:
        """Whether the folder starts as it is, nothing skipped."""
        return not self.problems

    def report(self) -> str:
        """What was found, what is (or would be) lost, and what salvaging does (or did)."""
        if self.whole:
            return f"{self.folder}: starts as it is; nothing to salvage"
        lines = [f"{self.folder}:", *(f"  {problem}" for problem in self.problems)]
        if self.snapshot is None:
            lines.append("intact: nothing (no snapshot can be read): the next start begins afresh")
        else:
            last = "none" if self.last_order is None else str(self.last_order)
            lines.append(
                f"intact: snapshot {self.snapshot} and {self.records} journal records;"
                f" last order intact: {last}"
            )
        lines.append("lost: " + self._losses())
        lost_places = self.lost["place"]
        if self.snapshot is not None and (lost_places or self.lost_bytes or self.unknown):
            first = (self.last_order or 0) + 1
            if self.lost_bytes or self.unknown:
                count = f"at least {lost_places} (what could not be read may have placed more)"
            else:
                count = f"{lost_places}" + (
                    f" (ids {first} .. {first + lost_places - 1})" if lost_places else ""
                )
            named = (
                f"; the lost records name orders up to id {self.named_orders}" if self.named_orders else ""
            )
            lines.append(f"orders from id {first} on are lost: {count}{named}")
        if self.moved_to is None:
            lines.append(
                f"run `exchangesim recover {self.folder} --salvage` to move the damaged files aside and"
                " start from what is intact; nothing is changed without it"
            )
            return "\n".join(lines)
        lines.append(f"moved aside to {self.moved_to}: " + ", ".join(path.name for path in self.aside))
        lines.extend(
            f"  {path.name} keeps its first {keep} bytes (its whole records before the damage)"
            for path, keep in self.cut.items()
        )
        lines.extend(f"  {path.name} created empty: its snapshot continues in it" for path in self.create)
        return "\n".join(lines)

    def _losses(self) -> str:
        parts = []
        if self.lost or not (self.lost_bytes or self.unknown):
            kinds = ", ".join(f"{name} {count}" for name, count in sorted(self.lost.items()))
            count = sum(self.lost.values())
            plural = "" if count == 1 else "s"
            parts.append(f"{count} whole record{plural}" + (f" ({kinds})" if kinds else ""))
        if self.lost_bytes:
            parts.append(f"{self.lost_bytes} bytes holding no whole record")
        parts.extend(f"{path.name} is missing: what it held is unknown" for path in self.unknown)
        return "; ".join(parts)


def examine(directory: StateDirectory) -> Salvage:
    """What stops ``directory`` from starting, what is intact, and what salvaging would move and lose.

    Raises PersistenceError for what is not damage (files of another format).
    """
    found = Salvage(directory.path)
    skipped: list[tuple[Path, str]] = []
    chosen = readable_snapshot(directory, directory.snapshots(), skipped)
    for path, reason in skipped:
        found.problems.append(reason if str(path) in reason else f"{path} cannot be read: {reason}")
        found.aside.append(path)
    if chosen is None:
        if skipped or directory.journals():
            found.problems.append("no snapshot can be read: the journal has nothing to replay onto")
        for number in directory.journals():
            _lose_file(found, directory.journal_path(number))
        return found
    number, header, state = chosen
    found.snapshot = number
    segments, broken = read_chain(directory, number, None)
    exchange = Exchange()
    exchange.restore(state["exchange"])
    replayable = [*segments, *([broken.segment] if broken is not None and broken.segment else [])]
    found.records, unreplayable = _replay(exchange, replayable)
    broken = unreplayable or broken
    found.last_order = exchange.next_order_id - 1 if exchange.next_order_id > 1 else None
    if broken is not None:
        found.problems.append(broken.reason)
        _lose_from(found, directory, broken, header)
    return found


def salvage(found: Salvage, directory: StateDirectory, now: float | None = None) -> Path:
    """Do what ``examine`` planned: move the damaged files into ``damaged-<UTC time>/`` (0700), put the
    whole records of a cut segment back in its place, create the empty segments a snapshot continues in.
    Each file is put in place whole (written aside, synced, renamed)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    target = directory.path / f"damaged-{stamp}"
    suffix = 1
    while target.exists():
        suffix += 1
        target = directory.path / f"damaged-{stamp}-{suffix}"
    target.mkdir(mode=0o700)
    for path in found.aside:
        keep = found.cut.get(path)
        staged = None
        if keep:
            staged = _stage(path, path.read_bytes()[:keep])
        os.replace(path, target / path.name)
        if staged is not None:
            os.replace(staged, path)
    for path, header in found.create.items():
        os.replace(_stage(path, JOURNAL_MAGIC + frame(encode(header))), path)
    sync_directory(target)
    sync_directory(directory.path)
    found.moved_to = target
    return target


def _replay(exchange: Exchange, segments: list[JournalFile]) -> tuple[int, ChainBreak | None]:
    """Replay ``segments`` onto ``exchange`` as a start would: how many records replayed, and the first
    that does not (a break there), if any."""
    replayed = 0
    for segment in segments:
        for index, record in enumerate(segment.records):
            try:
                replay_record(exchange, record)
            except Exception as error:
                offset = _record_offsets(segment.path)[index]
                reason = f"{segment.path}: record {index + 1} ({record[0]}) does not replay: {error}"
                return replayed, ChainBreak(segment.header["segment"], segment.path, reason, offset, segment)
            replayed += 1
    return replayed, None


def _lose_from(found: Salvage, directory: StateDirectory, broken: ChainBreak, header: dict) -> None:
    """Plan to move the segment at fault aside (keeping its whole records before the damage), and every
    segment after it, counting what they held."""
    path = broken.path
    if not path.exists():
        found.unknown.append(path)
    elif not broken.keep:
        _lose_file(found, path)
    elif broken.keep < path.stat().st_size:
        found.aside.append(path)
        found.cut[path] = broken.keep
        _count(found, path.read_bytes(), broken.keep)
    if broken.number == found.snapshot and not broken.keep:  # the snapshot's own segment is gone
        segment_header = {key: value for key, value in header.items() if key != "continues"}
        found.create[directory.journal_path(broken.number)] = segment_header
    for number in directory.journals():
        if number > broken.number:
            _lose_file(found, directory.journal_path(number))


def _lose_file(found: Salvage, path: Path) -> None:
    """Plan to move a whole segment aside, counting its records (its header, when whole, left out)."""
    found.aside.append(path)
    data = path.read_bytes()
    start = 0
    if data.startswith(JOURNAL_MAGIC):
        start = len(JOURNAL_MAGIC)
        length = int.from_bytes(data[start : start + 4], "little")
        header, end = read_frames(data[: start + 8 + length], start)
        start = end if header else start
    _count(found, data, start)


def _count(found: Salvage, data: bytes, start: int) -> None:
    """Add the whole records found in ``data`` from ``start`` on to what is lost."""
    records, loose = find_records(data, start, opening=b"[")  # every record is a JSON array
    found.lost_bytes += loose
    for _, payload in records:
        try:
            command = command_of(json.loads(payload))
        except Exception:  # not JSON, not a list, not a command: bytes that hold no record
            found.lost_bytes += 8 + len(payload)
            continue
        found.lost[command.kind] += 1
        named = getattr(command, "order_id", None)
        if isinstance(named, int):
            found.named_orders = max(found.named_orders, named)


def _record_offsets(path: Path) -> list[int]:
    """The byte each record of a segment starts at (its header left out)."""
    data = path.read_bytes()
    payloads, _ = read_frames(data, len(JOURNAL_MAGIC))
    offsets, offset = [], len(JOURNAL_MAGIC)
    for payload in payloads:
        offsets.append(offset)
        offset += 8 + len(payload)
    return offsets[1:]


def _stage(path: Path, data: bytes) -> Path:
    """``data`` written and synced beside ``path``, 0600, ready to be renamed onto it."""
    staged = path.with_name(path.name + ".salvaged")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return staged
