"""Finding what to resume from: the newest whole snapshot and the journal segments written after it.

Segment N is created, synced, before snapshot N is written, and the snapshot's header says so
(``continues``: the segment whose end it holds, and how many records that one held). So a snapshot
proves that its own segment exists and how long the one before it is: a chain of segments missing one,
or shorter than a snapshot says, is refused, naming what is missing, rather than replayed short.
Snapshots of older versions have no ``continues``: they were written before their segment, and a crash
between could leave none, so a missing segment after them is taken for that, as those versions did.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
from twisted.logger import Logger

from ..engine import CommandResult, Exchange
from .commands import Recorded, RegisterKey, command_of
from .directory import PersistenceError, StateDirectory
from .fingerprint import StateBinding
from .formats import check_format
from .journal import JournalError, JournalFile, read_journal
from .snapshots import SnapshotError, read_snapshot, read_snapshot_header

__all__ = [
    "ChainBreak",
    "SettingsChangedError",
    "StoredState",
    "load_stored_state",
    "read_chain",
    "readable_snapshot",
    "replay_record",
    "replay_segments",
]

SALVAGE_HINT = (
    "restore it from a backup, or run `exchangesim recover {folder} --salvage` to move the damaged files"
    " aside and start from what is intact (it says what is lost)"
)

log = Logger()


class SettingsChangedError(PersistenceError):
    """The saved state was written under settings this configuration changes (not only adds to)."""


@attrs.frozen
class StoredState:
    """A snapshot and the journal segments to replay over it, in order."""

    snapshot: int
    header: dict[str, Any]
    state: Any
    segments: list[JournalFile]

    @property
    def last_segment(self) -> int:
        """The number of the newest segment (the snapshot's own when none was written)."""
        return self.segments[-1].header["segment"] if self.segments else self.snapshot

    @property
    def records(self) -> int:
        """Journal records to replay."""
        return sum(len(segment.records) for segment in self.segments)

    @property
    def last_records(self) -> int:
        """Records in the newest segment (0 when none was written)."""
        return len(self.segments[-1].records) if self.segments else 0


@attrs.frozen
class ChainBreak:
    """Where the chain of segments after a snapshot stops being whole: the first segment at fault."""

    number: int
    path: Path
    reason: str  # names the file and what is wrong with it
    keep: int = 0  # the bytes of the file still whole (the header and records before the damage); 0: none
    segment: JournalFile | None = None  # the file as read, when it could be


def load_stored_state(
    directory: StateDirectory, binding: StateBinding | None, *, repair: bool, oldest: bool = False
) -> StoredState | None:
    """The state to resume from, or None for an empty folder.

    The newest whole snapshot (``oldest``: the oldest, for the longest history) and the segments from
    it on; a damaged snapshot is skipped with a log line. Every file must have been written under
    settings ``binding`` may resume (None: any). With ``repair``, a torn last record of the newest
    segment is cut off the file; any other damage, or a segment missing or short, raises
    PersistenceError saying what and where.
    """
    snapshots, journals = directory.snapshots(), directory.journals()
    if not snapshots:
        if journals:
            raise PersistenceError(
                f"{directory.path} holds journal segments but no snapshot to replay them onto;"
                " move the folder away to start afresh"
            )
        return None
    found = readable_snapshot(directory, list(reversed(snapshots)) if oldest else snapshots)
    if found is None:
        raise PersistenceError(
            f"{directory.path}: no snapshot in it can be read; move the folder away to start afresh"
        )
    number, header, state = found
    _check_header(header, binding, directory.snapshot_path(number))
    segments, broken = read_chain(directory, number, binding)
    if broken is not None:
        raise PersistenceError(f"{broken.reason}; {SALVAGE_HINT.format(folder=directory.path)}")
    if segments and segments[-1].torn:
        _cut_torn_tail(segments[-1], repair)
    return StoredState(number, header, state, segments)


def readable_snapshot(
    directory: StateDirectory, numbers: list[int], skipped: list[tuple[Path, str]] | None = None
) -> tuple[int, dict[str, Any], Any] | None:
    """The first of snapshots ``numbers`` that reads whole: its number, header and state; each one
    skipped is logged (and added to ``skipped`` with the reason)."""
    for number in numbers:
        path = directory.snapshot_path(number)
        try:
            header, state = read_snapshot(path)
        except PersistenceError:  # a format not read here: not damage, nothing to skip past
            raise
        except Exception as error:  # SnapshotError, OSError; unpickling odd bytes can raise nearly anything
            reason = str(error) or repr(error)
            log.warn("skipping snapshot {path}: {reason}", path=str(path), reason=reason)
            if skipped is not None:
                skipped.append((path, reason))
            continue
        return number, header, state
    return None


def read_chain(
    directory: StateDirectory, snapshot: int, binding: StateBinding | None
) -> tuple[list[JournalFile], ChainBreak | None]:
    """The segments from ``snapshot`` on, in order, up to the first one missing, unreadable, damaged
    (anything but a torn last record) or shorter than a newer snapshot says; and that break (None: the
    chain is whole). A file of another format, or of settings ``binding`` cannot resume, raises
    PersistenceError."""
    journals = set(directory.journals())
    proven, lengths = _snapshot_claims(directory, snapshot)
    last = max((n for n in (*journals, *proven) if n >= snapshot), default=snapshot - 1)
    segments: list[JournalFile] = []
    for number in range(snapshot, last + 1):
        path = directory.journal_path(number)
        if number not in journals:
            if number in proven:
                reason = (
                    f"journal segment {path} is missing: {directory.snapshot_path(number).name} continues"
                    " in it, so every command recorded after that snapshot would be lost"
                )
                return segments, ChainBreak(number, path, reason)
            if number < last and directory.snapshot_path(number + 1).exists():
                continue  # an older version stopped between writing snapshot N and opening segment N
            return segments, ChainBreak(number, path, f"journal segment {path} is missing")
        try:
            segment = read_journal(path)
        except (JournalError, OSError) as error:
            return segments, ChainBreak(number, path, str(error))
        _check_header(segment.header, binding, path)
        if segment.damaged or (segment.torn and number < last):
            if number < last:
                reason = f"{path} is damaged at byte {segment.end}, before newer segments"
            else:  # not a record the process died writing: one written whole, so acknowledged
                reason = (
                    f"{path} is damaged at byte {segment.end}: the {segment.size - segment.end} bytes from"
                    " there on are not one record cut short by a crash (a whole record fails its checksum,"
                    " or whole records follow)"
                )
            return segments, ChainBreak(number, path, reason, segment.end, segment)
        claim = lengths.get(number)
        if claim is not None and len(segment.records) != claim[0]:
            reason = (
                f"{path} holds {len(segment.records)} records, but {claim[1].name} continues from its"
                f" record {claim[0]}: the segment is short, records are missing from its end"
            )
            return segments, ChainBreak(number, path, reason, segment.size, segment)
        segments.append(segment)
    return segments, None


def _snapshot_claims(
    directory: StateDirectory, snapshot: int
) -> tuple[set[int], dict[int, tuple[int, Path]]]:
    """What the snapshots from ``snapshot`` on say of the segments, read from their headers (a snapshot
    whose header is damaged says nothing): the segments that exist (each one's own), and how many
    records a segment holds, with the snapshot that says so."""
    proven: set[int] = set()
    lengths: dict[int, tuple[int, Path]] = {}
    for number in directory.snapshots():
        if number < snapshot:
            continue
        path = directory.snapshot_path(number)
        try:
            continues = read_snapshot_header(path).get("continues")
        except (SnapshotError, OSError):
            continue
        if isinstance(continues, dict):
            proven.add(number)
            if isinstance(continues.get("segment"), int) and continues["segment"] >= snapshot:
                lengths[continues["segment"]] = (continues.get("records", 0), path)
    return proven, lengths


def replay_segments(
    exchange: Exchange,
    segments: list[JournalFile],
    register_key: Callable[[str, str, str], object] | None = None,
) -> Iterator[tuple[Recorded, CommandResult | None]]:
    """Run every record of ``segments`` on ``exchange``, in order, yielding each command with its result
    (an API key goes to ``register_key``, if given); one that does not replay raises PersistenceError
    naming its file and place."""
    for segment in segments:
        for index, record in enumerate(segment.records):
            try:
                command, result = replay_record(exchange, record, register_key)
            except Exception as error:
                raise PersistenceError(
                    f"{segment.path}: record {index + 1} ({record[0]}) does not replay: {error}; "
                    + SALVAGE_HINT.format(folder=segment.path.parent)
                ) from None
            yield command, result


def replay_record(
    exchange: Exchange,
    record: list[Any],
    register_key: Callable[[str, str, str], object] | None = None,
) -> tuple[Recorded, CommandResult | None]:
    """Run one record's command on ``exchange`` (an API key goes to ``register_key``, if given)."""
    command = command_of(record)
    if isinstance(command, RegisterKey):
        if register_key is not None:
            register_key(command.account, command.key, command.secret)
        return command, None
    return command, exchange.execute(command)


def _check_header(header: dict[str, Any], binding: StateBinding | None, path: os.PathLike) -> None:
    check_format(header, path)
    changes = None if binding is None else binding.refusal(header)
    if changes is not None:
        which = (
            ": " + "; ".join(changes)
            if changes
            else " (an older exchangesim wrote it, keeping only a digest of [exchange], [symbol:*],"
            " [accounts], [account:*], [market_data] and [liquidity] as rendered with their documentation,"
            " so a newer version's documentation differs too)"
        )
        raise SettingsChangedError(
            f"{path} was written under another configuration{which}. New symbols and accounts are"
            " added on top of saved state, other changes are not: restore those settings, or start"
            " afresh with --fresh (make run FRESH=1), which moves the saved state aside"
        )


def _cut_torn_tail(segment: JournalFile, repair: bool) -> None:
    """Drop a record the process died writing: it was never acknowledged."""
    log.warn(
        "journal {path}: dropping a torn last record ({size} bytes after byte {end})",
        path=str(segment.path),
        size=segment.size - segment.end,
        end=segment.end,
    )
    if repair:
        os.truncate(segment.path, segment.end)
