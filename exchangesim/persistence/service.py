"""The persistence service: recover at start, journal while running, snapshot on the clock and at stop.

Start: lock the folder, load the newest whole snapshot into the venue, replay the journal written
after it (original timestamps; trades feed candles and statistics as they did), resume the moving
markets, then write a fresh snapshot and open a new journal segment. Every ``snapshot_interval``
seconds, and at stop, the segment is closed and a snapshot starts the next one; only the two newest
snapshots and the segments after the older of them are kept (DESIGN §10.19). Once a record could not
be written no snapshot is taken any more: it would hold the command whose record failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorThreads, IReactorTime
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger

from .. import __version__
from ..config import Config
from ..credentials import ApiKey
from ..engine.events import TRADE
from ..provisioning import Provisioner
from .commands import JournaledExecutor, JournalWriter
from .directory import PersistenceError, StateDirectory
from .fingerprint import StateBinding
from .formats import FORMAT
from .journal import Journal
from .keys import key_recorder
from .recovery import StoredState, load_stored_state, replay_segments
from .snapshots import write_snapshot
from .venue_state import VenueState

__all__ = ["PersistenceError", "PersistenceService"]


class PersistenceService(Service):
    """Keeps ``state`` in [persistence] path of ``config``; start it before anything trades or listens.
    After a recovery, ``provisioner`` adds what the configuration adds to the saved state; ``clock``
    (the reactor) times the snapshots and the journal's syncs."""

    log = Logger()

    def __init__(
        self,
        config: Config,
        clock: IReactorTime,
        state: VenueState,
        provisioner: Provisioner,
        on_failure: Callable[[Exception], object] = lambda error: None,
    ) -> None:
        self._config = config
        self._clock = clock
        self._state = state
        self._provisioner = provisioner
        self._settings = settings = config.persistence
        self._on_failure = on_failure
        self._binding = StateBinding.of(config)
        self._journal = Journal(settings.fsync, settings.fsync_batch_ms, clock, _thread_runner(clock))
        self._directory: StateDirectory | None = None
        self._segment = 0  # the open journal segment (and the snapshot it started from)
        self._previous = 0  # the snapshot before it, kept as a fallback
        self._snapshot_call: IDelayedCall | None = None
        self._failure: Exception | None = None  # why a record could not be written

    @property
    def directory(self) -> StateDirectory | None:
        """The folder while the service runs (None before start and after stop)."""
        return self._directory

    def startService(self) -> None:
        """Recover, then journal; raises PersistenceError (nothing started) when the folder is unusable."""
        directory = StateDirectory.open(self._settings.path)
        try:
            stored = load_stored_state(directory, self._binding, repair=True)
            self._directory = directory
            if stored is not None:
                self._recover(stored)
            self._previous = 0 if stored is None else stored.snapshot
            self._attach(JournalWriter(self._journal, self._journal_failed))
            if stored is None:
                self._rotate(1, None, 0)
            else:
                self._rotate(stored.last_segment + 1, stored.last_segment, stored.last_records)
                self._add_configured()
        except BaseException:
            self._attach(None)
            self._directory = None
            directory.close()
            raise
        super().startService()
        self._plan_snapshot()

    def stopService(self) -> None:
        """Close the journal and write the final snapshot (none once the journal failed)."""
        super().stopService()
        if self._snapshot_call is not None and self._snapshot_call.active():
            self._snapshot_call.cancel()
        self._snapshot_call = None
        if self._directory is None:
            return
        self._attach(None)
        try:
            if self._failure is None:  # the final snapshot, and its (empty) segment to continue in
                self._rotate(self._segment + 1, self._segment, self._journal.written)
        finally:  # should it fail, recovery replays the segment just synced onto the snapshot before
            self._journal.finish()
            self._directory.close()
            self._directory = None

    def snapshot(self) -> None:
        """Snapshot now and start a new journal segment (also what the timer does)."""
        if self._failure is not None:
            raise PersistenceError(f"no snapshot: the journal could not be written ({self._failure})")
        self._rotate(self._segment + 1, self._segment, self._journal.written)

    # -- internals -----------------------------------------------------------------------------------
    def _recover(self, stored: StoredState) -> None:
        parts = self._state
        parts.restore(stored.state)
        exchange, keys = parts.exchange, parts.keys

        keyed = {account for account, _, _ in stored.state["keys"]}

        def register_key(account: str, key: str, secret: str) -> None:
            keys.register(ApiKey(account, key, secret))
            keyed.add(account)

        trades = 0
        last_ms = stored.state.get("market_ms", 0)
        for command, result in replay_segments(exchange, stored.segments, register_key):
            last_ms = max(last_ms, getattr(command, "ts", 0))
            trades += 0 if result is None else sum(record[0] == TRADE for record in result.records)
        for account in keyed - set(exchange.account_names()):  # closed since its key was made
            keys.forget(account)
        parts.restore_markets(stored.state)
        parts.clock.resume_after(last_ms)  # market time goes on from where the last run left it
        self.log.info(
            "recovered from snapshot {snapshot} and {records} journal records ({trades} trades):"
            " {open} open orders, book sequences {sequences}",
            snapshot=stored.snapshot,
            records=stored.records,
            trades=trades,
            open=sum(len(exchange.open_orders(name)) for name in exchange.account_names()),
            sequences=", ".join(
                f"{instrument.symbol} {exchange.depth(instrument.symbol, 0).sequence}"
                for instrument in exchange.instruments()
            ),
        )

    def _add_configured(self) -> None:
        """Open the symbols and accounts the configuration adds to the saved state, on the journal, so a
        recovery from an older snapshot adds them again in their place."""
        added = self._provisioner.add_configured()
        if added:
            self.log.info("the configuration adds {added} on top of the saved state", added=", ".join(added))

    def _rotate(self, number: int, continues: int | None, records: int) -> None:
        """Snapshot as ``number`` and switch the journal to segment ``number``; ``continues`` is the
        segment whose end the snapshot holds (None: a new folder), with its ``records``.

        The segment is created first, so a snapshot on disk proves its segment was there (recovery
        refuses to start without it). Should either step fail, the open segment goes on and the
        snapshot before stays the one to recover from.
        """
        assert self._directory is not None
        path, journal_path = self._directory.snapshot_path(number), self._directory.journal_path(number)
        state = self._state.capture()
        header = self._header(number)
        fd = self._journal.prepare(journal_path, header)
        claim = {"continues": {"segment": continues, "records": records}}
        try:
            size = write_snapshot(path, {**header, **claim}, state)
        except BaseException:
            path.unlink(missing_ok=True)  # records keep going to the segment of the older snapshot
            self._journal.discard(fd, journal_path)
            raise
        if self._segment:
            self._previous = self._segment
        self._segment = number
        self._journal.switch(fd)
        self._directory.prune(self._previous or number)
        self.log.info("snapshot {path} written ({size} bytes)", path=str(path), size=size)

    def _header(self, number: int) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "segment": number,
            "version": __version__,
            "seed": self._config.exchange.seed,
            **self._binding.header(),
            "created_ms": self._state.clock.now_ms(),
        }

    def _journal_failed(self, error: Exception) -> None:
        """A record could not be written: every command and API key is refused from now on (they share
        the writer that failed)."""
        if self._failure is not None:
            return
        self._failure = error
        self.log.critical(
            "the journal cannot be written ({error}): every command is refused from now on; fix the disk"
            " and restart (the state recovers without the command whose record failed, never acknowledged)",
            error=error,
        )
        self._on_failure(error)

    def _attach(self, writer: JournalWriter | None) -> None:
        """Have the engine's commands and the API keys recorded by ``writer`` (None: stop recording)."""
        exchange = self._state.exchange
        exchange.set_executor(None if writer is None else JournaledExecutor(exchange, writer))
        self._state.keys.set_recorder(None if writer is None else key_recorder(writer))

    def _plan_snapshot(self) -> None:
        if self._settings.snapshot_interval:
            self._snapshot_call = self._clock.callLater(self._settings.snapshot_interval, self._timed)

    def _timed(self) -> None:
        self._snapshot_call = None
        if self._failure is not None:
            return  # the daemon is stopping; a snapshot now would hold the command not on record
        try:
            self.snapshot()
        except Exception:
            self.log.failure(
                "snapshot failed; the journal goes on in segment {segment}", segment=self._segment
            )
        self._plan_snapshot()


def _thread_runner(clock: object) -> Callable[[Callable[[], None]], Deferred[None]] | None:
    """Run a function in the reactor's thread pool (None for a clock without threads: tests)."""
    if not IReactorThreads.providedBy(clock):
        return None
    reactor: Any = clock
    return lambda function: deferToThreadPool(reactor, reactor.getThreadPool(), function)
