"""Journal damage is never silent: a whole record that fails its checksum, a missing or short segment
chain, and ``exchangesim recover DIR --salvage``, the one explicit way past them."""

import json
import os
import re
import struct

import pytest
from twisted.logger import capturedLogs

from exchangesim.persistence import service as persistence_service
from exchangesim.persistence.__main__ import main
from exchangesim.persistence.directory import PersistenceError
from exchangesim.persistence.framing import frame, is_torn_tail
from exchangesim.persistence.journal import JOURNAL_MAGIC, Journal
from exchangesim.persistence.snapshots import read_snapshot, write_snapshot

from .support import START, crash, engine_state, persisted_config, recover, start_service

ORDER = ("BTC/USD", "BUY", "LIMIT", 10, 100_000)  # 0.1 BTC at 1000.00 USD: rests, trades with nobody


def records_at(path):
    """Each record of a journal file (the header left out) with the byte it starts at."""
    data = path.read_bytes()
    offset, found = len(JOURNAL_MAGIC), []
    while offset + 8 <= len(data):
        (length,) = struct.unpack_from("<I", data, offset)
        found.append((offset, json.loads(data[offset + 8 : offset + 8 + length])))
        offset += 8 + length
    return found[1:]


def acknowledged_orders(service, count):
    """``count`` orders of ``default`` placed (acknowledged) now; their ids."""
    return [
        service.venue.exchange.place("default", *ORDER, ts=service.venue.now_ms()).order_id
        for _ in range(count)
    ]


def flip(path, offset, mask=0x01):
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))
    return bytes(data)


# -- 1. a whole record that fails its checksum is damage, never a torn record ---------------------------


def test_a_whole_last_record_that_fails_its_checksum_is_no_torn_tail():
    one, two = frame(b'["one"]'), frame(b'["two"]')
    for damaged in (8, len(two) - 1, 5):  # its payload, its last byte, its checksum
        data = bytearray(one + two)
        data[len(one) + damaged] ^= 0x01
        assert not is_torn_tail(bytes(data), len(one)), damaged
    data = bytearray(one + two)
    data[len(one)] += 9  # its length now runs past the end of the file, yet the whole payload is there
    assert not is_torn_tail(bytes(data), len(one))
    assert is_torn_tail(one + two[:-1], len(one))  # fewer bytes than its length says: torn


def test_a_whole_last_record_that_fails_its_checksum_stops_the_start_and_is_kept(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 2)
    crash(service)
    journal = tmp_path / "data" / "journal-00000001"
    offset, record = records_at(journal)[-1]
    assert record[:2] == ["place", "default"]  # the second acknowledged order
    data = flip(journal, offset + 20)

    with pytest.raises(PersistenceError, match=f"journal-00000001 is damaged at byte {offset}") as raised:
        recover(config, START + 60)
    assert "--salvage" in str(raised.value)
    assert journal.read_bytes() == data  # the evidence stays


def test_a_last_record_whose_end_never_reached_the_disk_is_still_torn(tmp_path):
    """Zeros where a crash extended the file but never wrote it: a record not wholly written."""
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 1)
    before = engine_state(service)
    acknowledged_orders(service, 1)
    crash(service)
    journal = tmp_path / "data" / "journal-00000001"
    data = journal.read_bytes()
    journal.write_bytes(data[:-5] + bytes(5))
    assert engine_state(recover(config, START + 60)) == before


# -- 2. a missing or short segment chain refuses to start -----------------------------------------------


def test_a_deleted_newest_segment_stops_the_start_naming_it(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 3)
    crash(service)
    os.unlink(tmp_path / "data" / "journal-00000001")
    with pytest.raises(PersistenceError, match="journal-00000001 is missing") as raised:
        recover(config, START + 60)
    assert "snapshot-00000001" in str(raised.value) and "--salvage" in str(raised.value)


def test_a_deleted_newest_segment_after_a_snapshot_on_the_clock_stops_the_start(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 1)
    service.services[0].snapshot()  # snapshot 2 starts segment 2
    acknowledged_orders(service, 1)
    crash(service)
    os.unlink(tmp_path / "data" / "journal-00000002")
    with pytest.raises(PersistenceError, match="journal-00000002 is missing"):
        recover(config, START + 60)


def test_a_damaged_newest_snapshot_does_not_hide_a_deleted_segment_after_it(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    service.services[0].snapshot()
    acknowledged_orders(service, 1)
    service.services[0].snapshot()  # snapshots 2 and 3 are kept, with segments 2 and 3
    acknowledged_orders(service, 2)
    crash(service)
    newest = tmp_path / "data" / "snapshot-00000003"
    flip(newest, newest.stat().st_size - 10)  # its state, not its header
    os.unlink(tmp_path / "data" / "journal-00000003")
    with pytest.raises(PersistenceError, match="journal-00000003 is missing"):
        recover(config, START + 60)


def test_a_segment_shorter_than_the_next_snapshot_says_stops_the_start(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    service.services[0].snapshot()
    acknowledged_orders(service, 3)
    service.services[0].snapshot()
    crash(service)
    newest = tmp_path / "data" / "snapshot-00000003"
    flip(newest, newest.stat().st_size - 10)  # recovery falls back to snapshot 2 and segment 2
    journal = tmp_path / "data" / "journal-00000002"
    offset, _ = records_at(journal)[-1]
    os.truncate(journal, offset)  # one whole record gone, cut where a record ends: no torn tail
    with pytest.raises(PersistenceError, match=r"journal-00000002 holds 2 records.*snapshot-00000003.*3"):
        recover(config, START + 60)


def test_a_snapshot_of_an_older_version_without_a_segment_starts_as_before(tmp_path):
    """Older versions wrote the snapshot before its segment: one may have none, by a crash between."""
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 1)
    service.stopService()
    before = engine_state(service)
    snapshot = tmp_path / "data" / "snapshot-00000002"
    header, state = read_snapshot(snapshot)
    old = {key: value for key, value in header.items() if key in ("format", "segment", "version", "seed",
           "fingerprint", "created_ms")}  # fmt: skip
    write_snapshot(snapshot, old, state)
    os.unlink(tmp_path / "data" / "journal-00000002")
    assert engine_state(recover(config, START + 60)) == before


def disk_full(*args):
    raise OSError(28, "No space left on device")


def test_a_snapshot_that_cannot_be_written_takes_its_new_segment_back(tmp_path, monkeypatch):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    monkeypatch.setattr(persistence_service, "write_snapshot", disk_full)
    with pytest.raises(OSError):
        service.services[0].snapshot()
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path / "data")) == ["journal-00000001", "lock", "snapshot-00000001"]
    acknowledged_orders(service, 1)  # recorded in segment 1 still
    before = engine_state(service)
    crash(service)
    assert engine_state(recover(config, START + 60)) == before


def test_a_crash_between_a_new_segment_and_its_snapshot_loses_nothing(tmp_path, monkeypatch):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 1)
    monkeypatch.setattr(persistence_service, "write_snapshot", disk_full)
    monkeypatch.setattr(Journal, "discard", staticmethod(lambda fd, path: os.close(fd)))  # died first
    with pytest.raises(OSError):
        service.services[0].snapshot()
    monkeypatch.undo()
    before = engine_state(service)
    crash(service)
    assert sorted(os.listdir(tmp_path / "data")) == [
        "journal-00000001",
        "journal-00000002",  # created, empty, but no snapshot 2 names it
        "lock",
        "snapshot-00000001",
    ]
    again = recover(config, START + 60)
    assert engine_state(again) == before
    assert again.services[0].directory.snapshots()[0] == 3  # the start goes on after segment 2


# -- 3. exchangesim recover DIR [--salvage] -------------------------------------------------------------


def damaged_folder(tmp_path, intact=2, lost=3):
    """A crashed run's folder whose segment is damaged in the first of the last ``lost`` orders."""
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    kept = acknowledged_orders(service, intact)
    before = engine_state(service)
    gone = acknowledged_orders(service, lost)
    crash(service)
    journal = tmp_path / "data" / "journal-00000001"
    offset, _ = records_at(journal)[-lost]
    flip(journal, offset + 12)
    return config, journal, offset, kept, gone, before


def test_recover_without_salvage_says_what_is_wrong_and_changes_nothing(tmp_path, capsys):
    _, journal, offset, *_ = damaged_folder(tmp_path)
    files = sorted(os.listdir(tmp_path / "data"))
    data = journal.read_bytes()
    assert main(["recover", str(tmp_path / "data")]) == 1
    printed = capsys.readouterr().out
    assert f"journal-00000001 is damaged at byte {offset}" in printed
    assert "--salvage" in printed
    assert sorted(os.listdir(tmp_path / "data")) == files and journal.read_bytes() == data


def test_salvage_moves_the_damage_aside_keeps_what_is_intact_and_says_what_was_lost(tmp_path, capsys):
    config, journal, offset, kept, gone, before = damaged_folder(tmp_path)
    damaged = journal.read_bytes()
    assert main(["recover", str(tmp_path / "data"), "--salvage"]) == 0
    printed = capsys.readouterr().out

    [aside] = [path for path in (tmp_path / "data").iterdir() if path.name.startswith("damaged-")]
    assert (aside / "journal-00000001").read_bytes() == damaged  # the evidence, whole
    assert journal.read_bytes() == damaged[:offset]  # what is intact stays in place
    assert "lost: 2 whole records (place 2)" in printed  # the damaged one is no whole record
    assert f"last order intact: {kept[-1]}" in printed
    assert f"orders from id {gone[0]} on" in printed
    assert str(aside) in printed
    again = recover(config, START + 60)
    assert engine_state(again) == before  # the daemon starts from what is intact
    crash(again)
    assert main(["recover", str(tmp_path / "data")]) == 0  # nothing wrong any more


def test_salvage_of_a_deleted_newest_segment_starts_from_the_snapshot(tmp_path, capsys):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 2)
    crash(service)
    os.unlink(tmp_path / "data" / "journal-00000001")
    assert main(["recover", str(tmp_path / "data"), "--salvage"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"journal-00000001 is missing.*unknown", printed), printed
    assert "journal-00000001 created empty" in printed
    with capturedLogs() as events:
        again = recover(config, START + 60)
    [recovered] = [event for event in events if event["log_format"].startswith("recovered")]
    assert (recovered["snapshot"], recovered["records"]) == (1, 0)
    assert again.venue.exchange.open_orders("default") == []  # the two orders, lost as it said


def test_a_record_written_wrong_is_damage_at_its_byte_and_salvage_keeps_the_records_before_it(
    tmp_path, capsys
):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 1)
    before = engine_state(service)
    crash(service)
    journal = tmp_path / "data" / "journal-00000001"
    intact = journal.read_bytes()
    journal.write_bytes(intact + frame(b'["place", "default"') + frame(b'["deposit","default","USD",7,1]'))
    with pytest.raises(PersistenceError, match=f"journal-00000001 is damaged at byte {len(intact)}"):
        recover(config, START + 60)
    assert main(["recover", str(tmp_path / "data"), "--salvage"]) == 0
    assert "lost: 1 whole record (deposit 1)" in capsys.readouterr().out
    assert journal.read_bytes() == intact
    assert engine_state(recover(config, START + 60)) == before


def test_salvage_cuts_a_segment_before_a_record_that_does_not_replay(tmp_path, capsys):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 1)
    before = engine_state(service)
    crash(service)
    journal = tmp_path / "data" / "journal-00000001"
    intact = journal.read_bytes()
    journal.write_bytes(intact + frame(b'["cancel","default",999999,null,1]'))  # checksum right, no order
    with pytest.raises(PersistenceError, match=r"does not replay.*--salvage"):
        recover(config, START + 60)
    assert main(["recover", str(tmp_path / "data"), "--salvage"]) == 0
    assert "lost: 1 whole record (cancel 1)" in capsys.readouterr().out
    assert journal.read_bytes() == intact
    assert engine_state(recover(config, START + 60)) == before


def test_salvage_with_no_readable_snapshot_moves_everything_aside(tmp_path, capsys):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 2)
    crash(service)
    flip(tmp_path / "data" / "snapshot-00000001", 20)
    with pytest.raises(PersistenceError, match="no snapshot in it can be read"):
        recover(config, START + 60)
    assert main(["recover", str(tmp_path / "data"), "--salvage"]) == 0
    printed = capsys.readouterr().out
    assert "intact: nothing" in printed and re.search(r"lost: \d+ whole records \(.*place \d+", printed)
    assert sorted(path.name for path in (tmp_path / "data").iterdir() if path.is_file()) == ["lock"]
    crash(recover(config, START + 60))  # a fresh start


def test_recover_on_an_intact_folder_changes_nothing(tmp_path, capsys):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    acknowledged_orders(service, 2)
    crash(service)
    files = sorted(os.listdir(tmp_path / "data"))
    assert main(["recover", str(tmp_path / "data"), "--salvage"]) == 0
    assert "nothing to salvage" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path / "data")) == files


def test_recover_refuses_a_folder_in_use(tmp_path, capsys):
    config = persisted_config(tmp_path / "data")
    start_service(config)
    assert main(["recover", str(tmp_path / "data"), "--salvage"]) == 1
    assert "in use by another exchangesim process" in capsys.readouterr().err


def test_recover_documents_salvage_in_its_help(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["recover", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--salvage" in text and "damaged-" in text and "never" in text
