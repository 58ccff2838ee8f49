"""Saved state across formats: today's code starts on a folder format 1 wrote (``format1_fixture``) and
refuses one of a format it does not know, naming both."""

import json
import shutil
from pathlib import Path

import pytest
from twisted.internet.task import Clock

from exchangesim.config_checks import load_config
from exchangesim.persistence.directory import PersistenceError
from exchangesim.persistence.formats import FORMAT
from exchangesim.persistence.journal import Journal, read_journal
from exchangesim.persistence.replay import replay
from exchangesim.persistence.snapshots import read_snapshot, write_snapshot

from .format1_fixture import summary
from .support import ADMIN_TOKEN, crash, engine_state, recover, start_service

FIXTURE = Path(__file__).parent / "fixtures" / "format1"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())


def format1_folder(tmp_path):
    """A copy of the fixture's folder, and the settings it was written under with persistence in it."""
    folder = tmp_path / "data"
    shutil.copytree(FIXTURE / "data", folder)
    config = load_config([FIXTURE / "sim.ini"])
    config.persistence.path = str(folder)
    config.server.admin_token = ADMIN_TOKEN
    return folder, config


def test_a_folder_of_format_1_starts_with_the_engine_it_held_and_goes_on_in_the_new_format(tmp_path):
    folder, config = format1_folder(tmp_path)
    recovered = recover(config)
    assert summary(recovered.venue.exchange) == EXPECTED
    crash(recovered)

    service, _ = start_service(config)
    exchange = service.venue.exchange
    assert summary(exchange) == EXPECTED
    assert read_snapshot(folder / "snapshot-00000003")[0]["format"] == FORMAT
    traded = exchange.place("default", "BTC/USD", "BUY", "LIMIT", 20, 5_010_000, ts=service.venue.now_ms())
    assert [trade.maker_order_id for trade in traded.trades] == [3]  # alice's amended ask, recovered
    before = engine_state(service)
    crash(service)
    assert engine_state(recover(config)) == before


def test_replaying_a_folder_of_format_1_from_its_oldest_snapshot_gives_the_same_engine(tmp_path):
    folder, _ = format1_folder(tmp_path)
    result = replay(folder)
    assert (result.snapshot, len(result.segments)) == (1, 2)
    assert summary(result.exchange) == EXPECTED


def rewrite_snapshot_format(path: Path, version: int) -> None:
    header, state = read_snapshot(path)
    write_snapshot(path, {**header, "format": version}, state)


def rewrite_journal_format(path: Path, version: int) -> None:
    segment = read_journal(path)
    path.unlink()
    journal = Journal("off", 5, Clock())
    journal.start(path, {**segment.header, "format": version})
    for record in segment.records:
        journal.append(tuple(record))
    journal.finish()


@pytest.mark.parametrize(
    ("rewrite", "name"),
    [(rewrite_snapshot_format, "snapshot-00000002"), (rewrite_journal_format, "journal-00000002")],
)
def test_a_file_of_a_format_this_version_does_not_read_stops_the_start_naming_both(tmp_path, rewrite, name):
    folder, config = format1_folder(tmp_path)
    rewrite(folder / name, 99)
    with pytest.raises(PersistenceError, match=f"{name} was written .*in format 99; .*reads formats 1, 2"):
        start_service(config)
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [*(path.name for path in (FIXTURE / "data").iterdir()), "lock"]
    )  # nothing written over the newer version's files
