import os
import stat

import pytest

from exchangesim.engine import Exchange, Instrument, parse_amount
from exchangesim.persistence.formats import FORMAT
from exchangesim.persistence.snapshots import SnapshotError, read_snapshot, write_snapshot

BTC = Instrument("BTC/USD", "BTC", "USD", tick_size="0.5", lot_size="0.01", maker_fee="0.001")


def busy_exchange() -> Exchange:
    exchange = Exchange()
    exchange.add_instrument(BTC)
    for name in ("a", "b"):
        exchange.open_account(name)
        exchange.deposit(name, "USD", parse_amount("100000"), ts=1)
        exchange.deposit(name, "BTC", parse_amount("100"), ts=1)
    for i in range(40):
        exchange.place("a", "BTC/USD", "BUY", "LIMIT", 10 + i, 200 - i % 5, ts=2 + i)
        exchange.place("b", "BTC/USD", "SELL", "LIMIT", 7 + i, 199 + i % 4, ts=2 + i)
    exchange.place("b", "BTC/USD", "SELL", "STOP_LOSS", 5, stop_price=150, ts=50)
    return exchange


def test_the_file_gives_back_the_state_written(tmp_path):
    original = busy_exchange()
    original.subscribe(lambda result: None)  # a closure, which pickle could not take: no part of the state
    write_snapshot(tmp_path / "snapshot", {"format": FORMAT}, original.state())
    assert read_snapshot(tmp_path / "snapshot") == ({"format": FORMAT}, busy_exchange().state())


def test_the_file_is_private_and_written_whole(tmp_path):
    write_snapshot(tmp_path / "snapshot", {"format": FORMAT}, busy_exchange().state())
    assert stat.S_IMODE((tmp_path / "snapshot").stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["snapshot"]  # the temporary file was renamed


@pytest.mark.parametrize("damage", ["cut", "flip"])
def test_a_damaged_snapshot_is_refused(tmp_path, damage):
    path = tmp_path / "snapshot"
    write_snapshot(path, {"format": FORMAT}, busy_exchange().state())
    data = bytearray(path.read_bytes())
    if damage == "cut":
        del data[-10:]
    else:
        data[-10] ^= 0x20
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match="damaged"):
        read_snapshot(path)


def test_a_snapshot_that_does_not_fit_leaves_no_partial_file(tmp_path, monkeypatch):
    def disk_full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("exchangesim.persistence.snapshots.write_all", disk_full)
    with pytest.raises(OSError):
        write_snapshot(tmp_path / "snapshot-00000001", {"format": FORMAT}, {"state": 1})
    assert list(tmp_path.iterdir()) == []
