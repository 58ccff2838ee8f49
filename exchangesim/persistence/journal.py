"""The journal: one file per segment, a header record, then one record per change of state.

Each record is written to the OS (``os.write``, no user-space buffer) inside the command that made it,
so it survives the process being killed once the command returns; the fsync policy decides when it also
survives the machine going down: ``always`` after every record, ``batch`` at most ``batch_ms`` after a
write (a call on the injected clock starts the sync), ``off`` only when a segment is closed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.python.failure import Failure

from .framing import frame, is_torn_tail, read_frames

__all__ = ["JOURNAL_MAGIC", "Journal", "JournalError", "JournalFile", "read_journal"]

JOURNAL_MAGIC = b"XSJRNL1\n"


class JournalError(Exception):
    """A journal file that cannot be used (not a journal, or its header is damaged)."""


_compact_json = json.JSONEncoder(separators=(",", ":")).encode  # one encoder: json.dumps with
# separators builds a new one per call, which costs as much as the encoding itself here


def encode(value: Any) -> bytes:
    """Compact JSON, the payload of every journal record and header."""
    return _compact_json(value).encode()


class Journal:
    """Appends records to the current segment file; ``start`` (or ``prepare`` then ``switch``) opens one,
    ``finish`` syncs and closes it.

    ``in_thread`` (the reactor's thread pool in the daemon) runs the ``batch`` policy's syncs off the
    reactor thread, on a duplicate of the file descriptor; without it they run inline. A sync that
    fails makes every later ``append`` raise its error: what was written may not be on disk.
    """

    def __init__(
        self,
        fsync: str,
        batch_ms: int,
        clock: IReactorTime,
        in_thread: Callable[[Callable[[], None]], Deferred[None]] | None = None,
    ) -> None:
        self._fsync = fsync
        self._batch_seconds = batch_ms / 1000
        self._clock = clock
        self._in_thread = in_thread
        self._fd: int | None = None
        self._sync_call: IDelayedCall | None = None
        self._sync_failure: Exception | None = None
        self._written = 0

    @property
    def written(self) -> int:
        """Records appended to the open segment (the header left out)."""
        return self._written

    def start(self, path: Path, header: dict[str, Any]) -> None:
        """Create segment file ``path`` and switch to it at once (``prepare``, then ``switch``)."""
        self.switch(self.prepare(path, header))

    def prepare(self, path: Path, header: dict[str, Any]) -> int:
        """Create segment file ``path`` (it must not exist) with its header, synced; return its descriptor,
        for ``switch`` (or ``discard``). Records keep going to the open segment until the switch."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        try:
            write_all(fd, JOURNAL_MAGIC + frame(encode(header)))
            os.fsync(fd)
            sync_directory(path.parent)
        except BaseException:
            self.discard(fd, path)
            raise
        return fd

    def switch(self, fd: int) -> None:
        """Append to the segment ``prepare`` made from now on; the one open until now is synced and closed
        (should that fail, the error is raised once the new one is in use)."""
        self._cancel_sync()
        old, self._fd, self._written = self._fd, fd, 0
        if old is not None:
            try:
                os.fsync(old)
            finally:
                os.close(old)

    @staticmethod
    def discard(fd: int, path: Path) -> None:
        """Close and delete a segment ``prepare`` made that will not be used."""
        os.close(fd)
        path.unlink(missing_ok=True)

    def append(self, record: tuple) -> None:
        """Write one record to the OS now; force it to disk as the policy says."""
        if self._sync_failure is not None:
            raise self._sync_failure
        self._write(frame(encode(record)))
        self._written += 1
        if self._fsync == "always":
            os.fsync(self._fd)  # type: ignore[arg-type]
        elif self._fsync == "batch" and self._sync_call is None:
            self._sync_call = self._clock.callLater(self._batch_seconds, self._sync_batch)

    def finish(self) -> None:
        """Force the segment to disk and close it (nothing happens when none is open)."""
        self._cancel_sync()
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _cancel_sync(self) -> None:
        if self._sync_call is not None:
            if self._sync_call.active():
                self._sync_call.cancel()
            self._sync_call = None

    def _sync_batch(self) -> None:
        self._sync_call = None
        if self._fd is None:
            return
        if self._in_thread is None:
            os.fsync(self._fd)
            return
        fd = os.dup(self._fd)  # the segment may be closed while the thread syncs: it syncs its own

        def sync() -> None:
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

        self._in_thread(sync).addErrback(self._sync_failed)

    def _sync_failed(self, failure: Failure) -> None:
        self._sync_failure = failure.value  # type: ignore[assignment]

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            raise RuntimeError("no journal segment is open")
        written = os.write(self._fd, data)
        if written < len(data):  # rare for a regular file (a signal, a full disk): write the rest
            write_all(self._fd, memoryview(data)[written:])


@attrs.frozen
class JournalFile:
    """A segment as read back: its header, its whole records, and how much of the file they fill."""

    path: Path
    header: dict[str, Any]
    records: list[list[Any]]
    end: int  # offset just past the last whole record
    size: int  # the file's size; larger than ``end`` when the last record is torn
    damaged: bool  # what follows ``end`` is not one record cut short: records written whole are lost

    @property
    def torn(self) -> bool:
        """Whether the file goes on past its last whole record."""
        return self.end < self.size


def read_journal(path: Path) -> JournalFile:
    """Read a segment; a torn or damaged tail is left out (``torn``, ``damaged``): a record whose
    checksum holds but which is not JSON (written wrong) is damage there too. A bad header raises
    JournalError."""
    data = path.read_bytes()
    if not data.startswith(JOURNAL_MAGIC):
        raise JournalError(f"{path} is not an exchangesim journal")
    payloads, end = read_frames(data, len(JOURNAL_MAGIC))
    if not payloads:
        raise JournalError(f"{path}: the journal header is damaged")
    try:
        header = json.loads(payloads[0])
    except ValueError as error:
        raise JournalError(f"{path}: the journal header is not JSON ({error})") from None
    records, offset = [], len(JOURNAL_MAGIC) + 8 + len(payloads[0])
    for payload in payloads[1:]:
        try:
            records.append(json.loads(payload))
        except ValueError:
            return JournalFile(path, header, records, offset, len(data), True)
        offset += 8 + len(payload)
    return JournalFile(path, header, records, end, len(data), not is_torn_tail(data, end))


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write all of ``data`` to ``fd`` (os.write may write less)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def sync_directory(path: Path) -> None:
    """fsync a folder, so a file just created or renamed in it stays after a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
