"""Rolling ticker statistics: the 24 hours by the second, windows from a minute, the average price."""

from __future__ import annotations

import pickle

from exchangesim.engine import Trade
from exchangesim.marketdata.rolling import DAY_MS, MINUTE_MS, WINDOW_KEPT_MS, RollingStats, WindowStats

T0 = 1_700_000_040_000  # on a minute


def trade(trade_id: int, price: int, quantity: int, ts: int) -> Trade:
    return Trade(
        "BTC/USD",
        trade_id,
        price,
        quantity,
        price * quantity,
        "BUY",
        1,
        2,
        "a",
        "b",
        0,
        "BTC",
        0,
        "USD",
        0,
        0,
        ts,
    )


def test_a_window_from_a_minute_adds_up_the_trades_since_then():
    stats = RollingStats()
    stats.record(trade(1, 100, 1, T0 - 2 * MINUTE_MS))  # before the window
    stats.record(trade(2, 120, 2, T0 + 1))
    stats.record(trade(3, 90, 3, T0 + MINUTE_MS + 5))
    stats.record(trade(4, 110, 4, T0 + 2 * MINUTE_MS + 59_999))
    assert stats.since(T0) == WindowStats(120, 120, 90, 9, 120 * 2 + 90 * 3 + 110 * 4, 3, 2, 4, 4)
    assert stats.since(T0 - 2 * MINUTE_MS).count == 4
    assert stats.since(T0 + 3 * MINUTE_MS) is None


def test_minute_windows_reach_seven_days_back_and_no_further():
    stats = RollingStats()
    stats.record(trade(1, 100, 1, T0))
    stats.record(trade(2, 101, 1, T0 + WINDOW_KEPT_MS))
    assert stats.since(T0).count == 2
    stats.record(trade(3, 102, 1, T0 + WINDOW_KEPT_MS + MINUTE_MS))
    assert (stats.since(T0).count, stats.since(T0).first_id) == (2, 2)


def test_the_24_hours_forget_what_left_them_even_when_nobody_asks():
    stats = RollingStats()
    later = DAY_MS + 1000
    for n in range(5):
        stats.record(trade(n + 1, 200 - n, 1, T0 + n * later))
    assert len(stats._buckets) == 1 and len(stats._highs) == len(stats._lows) == 1
    assert stats.stats(T0 + 4 * later) == WindowStats(196, 196, 196, 1, 196, 1, 5, 5, 1)
    assert stats.stats(T0 + 5 * later) is None


def test_the_average_adds_up_the_seconds_since_a_time():
    stats = RollingStats()
    stats.record(trade(1, 100, 1, T0))
    stats.record(trade(2, 200, 3, T0 + 5 * MINUTE_MS))
    assert stats.average(T0 + 1000) == (600, 3)
    assert stats.average(T0) == (700, 4)
    assert stats.last.trade_id == 2


def test_a_snapshot_taken_before_minute_buckets_existed_still_loads():
    stats = RollingStats()
    stats.record(trade(1, 100, 1, T0))
    del stats.__dict__["_minutes"]
    restored = pickle.loads(pickle.dumps(stats))
    assert restored.since(T0) is None and restored.stats(T0).count == 1
    restored.record(trade(2, 100, 1, T0 + 1))
    assert restored.since(T0).count == 1
