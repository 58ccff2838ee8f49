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


def continue_trading(exchange: Exchange) -> list:
    """The same further commands on any exchange; what they did and where it leaves it."""
    results = []
    for i in range(30):
        side = "BUY" if i % 2 else "SELL"
        result = exchange.place("ab"[i % 2], "BTC/USD", side, "MARKET", 9 + i, ts=100 + i)
        results.append([(t.trade_id, t.price, t.quantity, t.maker_order_id) for t in result.trades])
    return [results, exchange.depth("BTC/USD", 100), exchange.balances("a"), exchange.open_orders("b")]


def test_a_restored_engine_goes_on_exactly_like_the_original(tmp_path):
    original = busy_exchange()
    write_snapshot(tmp_path / "snapshot", {"format": FORMAT}, original.state())
    header, state = read_snapshot(tmp_path / "snapshot")
    restored = Exchange()
    restored.restore(state)
    assert header == {"format": FORMAT}
    after = continue_trading(restored)
    assert any(after[0])  # the further commands traded
    assert after == continue_trading(original)


def test_subscribers_are_not_part_of_the_state(tmp_path):
    original = busy_exchange()
    original.subscribe(lambda result: None)  # a closure, which pickle could not take
    write_snapshot(tmp_path / "snapshot", {"format": FORMAT}, original.state())
    assert "_subscribers" not in read_snapshot(tmp_path / "snapshot")[1]


def test_the_file_is_private_and_written_whole(tmp_path):
    write_snapshot(tmp_path / "snapshot", {}, busy_exchange().state())
    assert stat.S_IMODE((tmp_path / "snapshot").stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["snapshot"]  # the temporary file was renamed


@pytest.mark.parametrize("damage", ["cut", "flip"])
def test_a_damaged_snapshot_is_refused(tmp_path, damage):
    path = tmp_path / "snapshot"
    write_snapshot(path, {}, busy_exchange().state())
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
