import os
import stat

import pytest
from twisted.internet.defer import maybeDeferred
from twisted.internet.task import Clock

from exchangesim.persistence import journal as journal_module
from exchangesim.persistence.journal import Journal, JournalError, read_journal

HEADER = {"format": 1, "segment": 1}


@pytest.fixture
def syncs(monkeypatch):
    """The file descriptors os.fsync was called on, in order."""
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(journal_module.os, "fsync", fsync)
    return calls


def test_records_read_back_after_the_header(tmp_path):
    journal = Journal("off", 5, Clock())
    journal.start(tmp_path / "journal-00000001", HEADER)
    journal.append(("deposit", "a", "USD", 10, 1))
    journal.append(("cancel", "a", 3, None, 2))
    journal.finish()
    read = read_journal(tmp_path / "journal-00000001")
    assert read.header == HEADER
    assert read.records == [["deposit", "a", "USD", 10, 1], ["cancel", "a", 3, None, 2]]
    assert not read.torn
    assert stat.S_IMODE(os.stat(tmp_path / "journal-00000001").st_mode) == 0o600


def test_a_record_is_with_the_os_before_append_returns(tmp_path):
    journal = Journal("off", 5, Clock())
    journal.start(tmp_path / "j", HEADER)
    journal.append(("deposit", "a", "USD", 10, 1))
    assert read_journal(tmp_path / "j").records == [["deposit", "a", "USD", 10, 1]]  # not yet closed
    journal.finish()


def test_always_syncs_every_record(tmp_path, syncs):
    journal = Journal("always", 5, Clock())
    journal.start(tmp_path / "j", HEADER)
    del syncs[:]
    journal.append(("a",))
    journal.append(("b",))
    assert len(syncs) == 2
    journal.finish()


def test_batch_syncs_once_within_the_bound(tmp_path, syncs):
    clock = Clock()
    journal = Journal("batch", 5, clock)
    journal.start(tmp_path / "j", HEADER)
    del syncs[:]
    for _ in range(3):
        journal.append(("a",))
    clock.advance(0.004)
    assert syncs == []
    clock.advance(0.001)
    assert len(syncs) == 1
    journal.append(("a",))
    assert [call.getTime() for call in clock.getDelayedCalls()] == [pytest.approx(0.010)]
    journal.finish()
    assert clock.getDelayedCalls() == []


def test_off_syncs_only_when_the_segment_closes(tmp_path, syncs):
    clock = Clock()
    journal = Journal("off", 5, clock)
    journal.start(tmp_path / "j", HEADER)
    del syncs[:]
    journal.append(("a",))
    clock.advance(10)
    assert syncs == []
    journal.finish()
    assert len(syncs) == 1


def test_a_torn_last_record_is_left_out(tmp_path):
    journal = Journal("off", 5, Clock())
    journal.start(tmp_path / "j", HEADER)
    journal.append(("first",))
    journal.append(("second", "x" * 50))
    journal.finish()
    data = (tmp_path / "j").read_bytes()
    (tmp_path / "j").write_bytes(data[:-7])
    read = read_journal(tmp_path / "j")
    assert read.records == [["first"]]
    assert read.torn and read.size == len(data) - 7


def test_a_file_that_is_not_a_journal_is_refused(tmp_path):
    (tmp_path / "j").write_bytes(b"hello")
    with pytest.raises(JournalError, match="not an exchangesim journal"):
        read_journal(tmp_path / "j")


def in_thread_now(function):
    """A thread runner that runs ``function`` at once (the daemon's uses the reactor's thread pool)."""
    return maybeDeferred(function)


def test_batch_syncs_run_through_the_thread_runner_on_their_own_descriptor(tmp_path, syncs):
    clock = Clock()
    journal = Journal("batch", 5, clock, in_thread_now)
    journal.start(tmp_path / "j", HEADER)
    del syncs[:]
    journal.append(("a",))
    clock.advance(0.005)
    [synced] = syncs
    assert synced != journal._fd  # a duplicate, closed once synced
    with pytest.raises(OSError):
        os.fstat(synced)
    journal.finish()


def test_a_failed_batch_sync_fails_every_later_append(tmp_path, monkeypatch):
    clock = Clock()
    journal = Journal("batch", 5, clock, in_thread_now)
    journal.start(tmp_path / "j", HEADER)

    def broken(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(journal_module.os, "fsync", broken)
    journal.append(("a",))
    clock.advance(0.005)
    with pytest.raises(OSError, match="Input/output error"):
        journal.append(("b",))
    monkeypatch.undo()
    journal.finish()
    assert read_journal(tmp_path / "j").records == [["a"]]
