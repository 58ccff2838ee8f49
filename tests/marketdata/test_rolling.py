"""Rolling ticker statistics: the 24 hours by the second, windows from a minute, the average price."""

from __future__ import annotations

import pickle

from exchangesim.engine import Trade
from exchangesim.marketdata.rolling import DAY_MS, MINUTE_MS, WINDOW_KEPT_MS, RollingStats, WindowStats

T0 = 1_700_000_040_000  # on a minute


def trade(trade_id: int, price: int, quantity: int, ts: int) -> dict[str, int]:
    """The fields ``RollingStats.record`` takes of a trade (quote = price * quantity)."""
    return {"trade_id": trade_id, "price": price, "quantity": quantity, "quote": price * quantity, "ts": ts}


def test_a_window_from_a_minute_adds_up_the_trades_since_then():
    stats = RollingStats()
    stats.record(**trade(1, 100, 1, T0 - 2 * MINUTE_MS))  # before the window
    stats.record(**trade(2, 120, 2, T0 + 1))
    stats.record(**trade(3, 90, 3, T0 + MINUTE_MS + 5))
    stats.record(**trade(4, 110, 4, T0 + 2 * MINUTE_MS + 59_999))
    assert stats.since(T0) == WindowStats(120, 120, 90, 9, 120 * 2 + 90 * 3 + 110 * 4, 3, 2, 4, 4)
    assert stats.since(T0 - 2 * MINUTE_MS).count == 4
    assert stats.since(T0 + 3 * MINUTE_MS) is None


def test_minute_windows_reach_seven_days_back_and_no_further():
    stats = RollingStats()
    stats.record(**trade(1, 100, 1, T0))
    stats.record(**trade(2, 101, 1, T0 + WINDOW_KEPT_MS))
    assert stats.since(T0).count == 2
    stats.record(**trade(3, 102, 1, T0 + WINDOW_KEPT_MS + MINUTE_MS))
    assert (stats.since(T0).count, stats.since(T0).first_id) == (2, 2)


def test_the_24_hours_forget_what_left_them_even_when_nobody_asks():
    stats = RollingStats()
    later = DAY_MS + 1000
    for n in range(5):
        stats.record(**trade(n + 1, 200 - n, 1, T0 + n * later))
    assert len(stats._buckets) == 1 and len(stats._highs) == len(stats._lows) == 1
    assert stats.stats(T0 + 4 * later) == WindowStats(196, 196, 196, 1, 196, 1, 5, 5, 1)
    assert stats.stats(T0 + 5 * later) is None


def test_the_average_adds_up_the_seconds_since_a_time():
    stats = RollingStats()
    stats.record(**trade(1, 100, 1, T0))
    stats.record(**trade(2, 200, 3, T0 + 5 * MINUTE_MS))
    assert stats.average(T0 + 1000) == (600, 3)
    assert stats.average(T0) == (700, 4)
    assert stats.last_ts == T0 + 5 * MINUTE_MS  # the latest trade's time
    assert RollingStats().last_ts is None


def test_a_snapshot_taken_before_minute_buckets_existed_still_loads():
    stats = RollingStats()
    stats.record(**trade(1, 100, 1, T0))
    del stats.__dict__["_minutes"]
    restored = pickle.loads(pickle.dumps(stats))
    assert restored.since(T0) is None and restored.stats(T0).count == 1
    restored.record(**trade(2, 100, 1, T0 + 1))
    assert restored.since(T0).count == 1


def as_format_1(stats: RollingStats, latest: Trade | None) -> RollingStats:
    """A copy of ``stats`` pickled as format 1 kept it: the latest trade as a whole Trade (``_last``), no
    minute buckets."""
    state = {key: value for key, value in stats.__dict__.items() if not key.startswith(("_last", "_minutes"))}
    old = object.__new__(RollingStats)
    old.__dict__.update({**state, "_last": latest})
    return pickle.loads(pickle.dumps(old))


def test_a_snapshot_that_kept_the_latest_trade_whole_answers_the_same():
    stats = RollingStats()
    for fields in (trade(1, 100, 1, T0), trade(2, 120, 3, T0 + 1500)):
        stats.record(**fields)
    latest = Trade("BTC/USD", 2, 120, 3, 360, "BUY", 1, 2, "a", "b", 0, "USD", 0, "BTC", 3, 3, T0 + 1500)
    restored = as_format_1(stats, latest)
    assert (
        restored.stats(T0 + 2000) == stats.stats(T0 + 2000) == WindowStats(100, 120, 100, 4, 460, 2, 1, 2, 3)
    )
    assert restored.average(T0) == (460, 4) and restored.last_ts == T0 + 1500
    restored.record(**trade(3, 90, 2, T0 + 2500))
    assert restored.stats(T0 + 3000) == WindowStats(100, 120, 90, 6, 640, 3, 1, 3, 2)


def test_a_snapshot_taken_before_any_trade_in_format_1_still_loads():
    restored = as_format_1(RollingStats(), None)
    assert (restored.stats(T0), restored.since(T0), restored.last_ts) == (None, None, None)
    restored.record(**trade(1, 100, 2, T0))
    assert restored.since(T0) == restored.stats(T0) == WindowStats(100, 100, 100, 2, 200, 1, 1, 1, 2)
