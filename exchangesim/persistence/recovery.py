"""Finding what to resume from: the newest whole snapshot and the journal segments written after it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import attrs
from twisted.logger import Logger

from ..engine import CommandResult, Exchange
from .commands import apply_record
from .directory import PersistenceError, StateDirectory
from .journal import JournalError, JournalFile, read_journal
from .snapshots import read_snapshot

__all__ = ["StoredState", "load_stored_state", "replay_segments"]

FORMAT = 1
"""Version of the journal and snapshot layout; files of another format are refused."""

log = Logger()


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


def load_stored_state(
    directory: StateDirectory, fingerprint: str | None, *, repair: bool, oldest: bool = False
) -> StoredState | None:
    """The state to resume from, or None for an empty folder.

    The newest whole snapshot (``oldest``: the oldest, for the longest history) and the segments from
    it on; a damaged snapshot is skipped with a log line. ``fingerprint`` (None: any) must match every
    file's. With ``repair``, a torn last record of the newest segment is cut off the file.
    """
    snapshots, journals = directory.snapshots(), directory.journals()
    if not snapshots:
        if journals:
            raise PersistenceError(
                f"{directory.path} holds journal segments but no snapshot to replay them onto;"
                " move the folder away to start afresh"
            )
        return None
    for number in reversed(snapshots) if oldest else snapshots:
        path = directory.snapshot_path(number)
        try:
            header, state = read_snapshot(path)
        except Exception as error:  # SnapshotError, OSError; unpickling odd bytes can raise nearly anything
            log.warn("skipping snapshot {path}: {reason}", path=str(path), reason=str(error) or repr(error))
            continue
        _check_header(header, fingerprint, path)
        segments = _segments_after(directory, number, [n for n in journals if n >= number], fingerprint)
        if segments and segments[-1].torn:
            _cut_torn_tail(segments[-1], repair)
        return StoredState(number, header, state, segments)
    raise PersistenceError(
        f"{directory.path}: no snapshot in it can be read; move the folder away to start afresh"
    )


def replay_segments(
    exchange: Exchange,
    segments: list[JournalFile],
    register_key: Callable[[str, str, str], object] | None = None,
) -> Iterator[tuple[list[Any], CommandResult | None]]:
    """Run every record of ``segments`` on ``exchange``, in order, yielding each with its result; one
    that does not replay raises PersistenceError naming its file and place."""
    for segment in segments:
        for index, record in enumerate(segment.records):
            try:
                result = apply_record(exchange, record, register_key)
            except Exception as error:
                raise PersistenceError(
                    f"{segment.path}: record {index + 1} ({record[0]}) does not replay: {error}"
                ) from None
            yield record, result


def _segments_after(
    directory: StateDirectory, snapshot: int, numbers: list[int], fingerprint: str | None
) -> list[JournalFile]:
    """The segments from ``snapshot`` on; they must follow one another without a gap or a torn middle."""
    segments = []
    expected = snapshot
    for number in numbers:
        path = directory.journal_path(number)
        for missing in range(expected, number):
            # A run that stopped between writing snapshot N and opening segment N wrote nothing in N,
            # and the next run started from that snapshot as N + 1.
            if not directory.snapshot_path(missing + 1).exists():
                raise PersistenceError(f"journal segment {directory.journal_path(missing)} is missing")
        expected = number + 1
        try:
            segment = read_journal(path)
        except JournalError as error:
            raise PersistenceError(str(error)) from None
        _check_header(segment.header, fingerprint, path)
        if segments and segments[-1].torn:
            raise PersistenceError(
                f"{segments[-1].path} is damaged at byte {segments[-1].end}, before newer segments"
            )
        segments.append(segment)
    return segments


def _check_header(header: dict[str, Any], fingerprint: str | None, path: os.PathLike) -> None:
    if header.get("format") != FORMAT:
        raise PersistenceError(f"{path} has format {header.get('format')!r}; this version reads {FORMAT}")
    if fingerprint is not None and header.get("fingerprint") != fingerprint:
        raise PersistenceError(
            f"{path} was written under another configuration ([exchange], [symbol:*], [accounts],"
            " [account:*], [market_data] or [liquidity] differ); restore that configuration, or point"
            " [persistence] path at another folder to start afresh"
        )


def _cut_torn_tail(segment: JournalFile, repair: bool) -> None:
    if segment.damaged:  # not a crash's torn record: cutting would drop records that were acknowledged
        raise PersistenceError(
            f"{segment.path} is damaged at byte {segment.end}, with {segment.size - segment.end} bytes"
            " of records after it; restore it from a backup, or truncate it at that byte to lose them"
        )
    log.warn(
        "journal {path}: dropping a torn last record ({size} bytes after byte {end})",
        path=str(segment.path),
        size=segment.size - segment.end,
        end=segment.end,
    )
    if repair:
        os.truncate(segment.path, segment.end)
