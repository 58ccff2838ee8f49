"""The persistence folder: numbered snapshots and journal segments, locked for one daemon at a time.

Snapshot ``N`` holds the state at the start of journal segment ``N``; recovery loads the newest whole
snapshot and replays the segments from its number on. Files are named ``snapshot-NNNNNNNN`` and
``journal-NNNNNNNN``.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from pathlib import Path

__all__ = ["PersistenceError", "StateDirectory"]

_NAME = re.compile(r"(snapshot|journal)-(\d{8})\Z")


class PersistenceError(Exception):
    """The persistence folder cannot be used as it is; the message says why and what to do."""


class StateDirectory:
    """A persistence folder, created 0700 if missing and locked while open."""

    def __init__(self, path: Path, lock_fd: int | None = None) -> None:
        self.path = path
        self._lock_fd = lock_fd

    @classmethod
    def open(cls, path: str | Path) -> StateDirectory:
        """Create (0700) and lock the folder; raises PersistenceError when another process holds it."""
        folder = Path(path).absolute()
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise PersistenceError(f"[persistence] path: cannot use {folder}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise PersistenceError(
                f"[persistence] path: {folder} is in use by another exchangesim process"
            ) from None
        return cls(folder, fd)

    @classmethod
    def move_aside(cls, path: str | Path, now: float | None = None) -> Path | None:
        """Move the folder at ``path`` aside, whole, to ``PATH.<UTC time>`` beside it (``now``: epoch
        seconds, else the wall clock), so the next start begins afresh; nothing is deleted. Returns
        where it went, or None when there is no saved state (no folder, or one holding only its lock);
        raises PersistenceError while another process uses it."""
        folder = Path(path).absolute()
        if not folder.exists():
            return None
        if not folder.is_dir():
            raise PersistenceError(f"[persistence] path: {folder} is not a folder")
        if not set(os.listdir(folder)) - {"lock"}:
            return None
        directory = cls.open(folder)  # refuses while a daemon holds it
        try:
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
            target = folder.with_name(f"{folder.name}.{stamp}")
            count = 1
            while target.exists():
                count += 1
                target = folder.with_name(f"{folder.name}.{stamp}-{count}")
            try:
                os.rename(folder, target)
            except OSError as error:
                raise PersistenceError(
                    f"[persistence] path: cannot move {folder} aside to {target}: {error.strerror}"
                ) from None
        finally:
            directory.close()
        return target

    def close(self) -> None:
        """Release the lock."""
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            os.close(fd)

    def snapshot_path(self, number: int) -> Path:
        return self.path / f"snapshot-{number:08d}"

    def journal_path(self, number: int) -> Path:
        return self.path / f"journal-{number:08d}"

    def snapshots(self) -> list[int]:
        """Numbers of the snapshot files, newest first."""
        return sorted(self._numbers("snapshot"), reverse=True)

    def journals(self) -> list[int]:
        """Numbers of the journal segments, oldest first."""
        return sorted(self._numbers("journal"))

    def prune(self, oldest_kept: int) -> None:
        """Delete the snapshots and journal segments numbered below ``oldest_kept``."""
        for kind in ("snapshot", "journal"):
            for number in self._numbers(kind):
                if number < oldest_kept:
                    (self.path / f"{kind}-{number:08d}").unlink(missing_ok=True)

    def _numbers(self, kind: str) -> list[int]:
        numbers = []
        for entry in os.listdir(self.path):
            match = _NAME.match(entry)
            if match and match.group(1) == kind:
                numbers.append(int(match.group(2)))
        return numbers
