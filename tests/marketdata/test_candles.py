"""Candles from trades: OHLCV per interval, flat candles for quiet intervals, closing on the clock."""

from itertools import count

from exchangesim.marketdata.candles import INTERVALS, CandleSeries

TRADE_IDS = count(1)


def trade(ts, price, lots, taker_side="SELL"):
    """The fields ``CandleSeries.record`` takes of a trade of ``lots`` at ``price`` (quote = price * lots),
    with the next trade id."""
    return {
        "trade_id": next(TRADE_IDS),
        "price": price,
        "quantity": lots,
        "quote": price * lots,
        "taker_buys": taker_side == "BUY",
        "ts": ts,
    }


def ohlcv(candle):
    return (
        candle.open_time,
        candle.open,
        candle.high,
        candle.low,
        candle.close,
        candle.volume,
        candle.trades,
    )


def test_trades_build_the_candle_in_progress():
    series = CandleSeries(60_000, start_ms=120_500, price=100)
    assert ohlcv(series.current) == (120_000, 100, 100, 100, 100, 0, 0)
    for ts, price, lots in ((121_000, 105, 2), (130_000, 98, 1), (179_999, 101, 3)):
        assert not series.record(**trade(ts, price, lots))
    assert ohlcv(series.current) == (120_000, 105, 105, 98, 101, 6, 3)
    assert series.current.quote_volume == 105 * 2 + 98 + 101 * 3
    [closed] = series.record(**trade(180_000, 100, 1))  # the first trade of the next interval
    assert ohlcv(closed) == (120_000, 105, 105, 98, 101, 6, 3) and closed.closed
    assert ohlcv(series.current) == (180_000, 100, 100, 100, 100, 1, 1)


def test_a_trade_in_a_later_interval_closes_the_ones_before():
    series = CandleSeries(1_000, start_ms=0, price=100)
    series.record(**trade(500, 101, 1))
    closed = series.record(**trade(3_200, 99, 1))
    assert [ohlcv(c) for c in closed] == [
        (0, 101, 101, 101, 101, 1, 1),
        (1_000, 101, 101, 101, 101, 0, 0),
        (2_000, 101, 101, 101, 101, 0, 0),
    ]
    assert all(c.closed for c in closed)
    assert ohlcv(series.current) == (3_000, 99, 99, 99, 99, 1, 1)


def test_taker_buys_and_trade_ids_are_counted_per_candle():
    series = CandleSeries(1_000, start_ms=0, price=100)
    first, second, third = trade(100, 100, 2, "BUY"), trade(200, 101, 3, "SELL"), trade(300, 102, 1, "BUY")
    for each in (first, second, third):
        series.record(**each)
    candle = series.current
    assert (candle.taker_buy_volume, candle.taker_buy_quote_volume) == (3, 100 * 2 + 102)
    assert (candle.first_trade_id, candle.last_trade_id) == (first["trade_id"], third["trade_id"])
    [closed] = series.close_until(1_000)
    assert (series.current.first_trade_id, series.current.taker_buy_volume) == (-1, 0)
    assert closed is candle


def test_the_clock_closes_candles_without_trades():
    series = CandleSeries(1_000, start_ms=0, price=100)
    assert series.close_until(999) == []
    assert [c.open_time for c in series.close_until(1_000)] == [0]
    assert series.close_until(1_500) == []
    assert [ohlcv(c) for c in series.latest(10)] == [
        (0, 100, 100, 100, 100, 0, 0),
        (1_000, 100, 100, 100, 100, 0, 0),
    ]


def test_latest_ends_with_the_candle_in_progress_and_keeps_a_bounded_history():
    series = CandleSeries(1_000, start_ms=0, price=100, kept=5)
    closed = series.close_until(1_000_000)
    assert len(closed) == 6  # the one in progress, then at most `kept` flat ones
    assert [c.open_time for c in series.latest(3)] == [998_000, 999_000, 1_000_000]
    assert len(series.latest(100)) == 6
    assert series.latest(1) == [series.current]
    assert series.latest(0) == []


def test_the_intervals():
    assert list(INTERVALS) == ["1s", "1m", "5m", "15m", "1h", "1d"]
    assert INTERVALS["1h"] == 3_600_000
