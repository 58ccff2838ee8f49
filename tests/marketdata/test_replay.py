"""CSV replay: recorded prices played on the ticks at a speed factor, Binance's klines and aggTrades files
read as they come, and bad files named with their line."""

import re

import numpy as np
import pytest

from exchangesim.marketdata.models import ModelSettings, rng_for
from exchangesim.marketdata.replay import CsvReplay, ReplayFileError, read_prices

# Epoch milliseconds: 100 at 0 s, 101 at 1 s, 102 at 2.5 s, 103 at 4 s.
RECORDING = "timestamp,price\n1700000000000,100\n1700000001000,101\n1700000002500,102\n1700000004000,103\n"


def write(tmp_path, text, name="prices.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def replay(path, tick_seconds=0.5, speed=1.0):
    settings = ModelSettings(
        initial_price=1.0, tick_seconds=tick_seconds, tick_size=0.01, replay_file=path, replay_speed=speed
    )
    return CsvReplay(settings, rng_for(0, "BTC/USD"))


def test_replay_plays_the_recording_on_the_ticks(tmp_path):
    model = replay(write(tmp_path, RECORDING))
    assert model.price == 100.0  # the recording's first price, not initial_price
    assert model.path(9).tolist() == [100, 101, 101, 101, 102, 102, 102, 103, 103]


def test_replay_speed_scales_the_recorded_time(tmp_path):
    model = replay(write(tmp_path, RECORDING), speed=2.0)
    assert model.path(5).tolist() == [101, 101, 102, 103, 103]


def test_replay_holds_the_last_price_after_the_end(tmp_path):
    model = replay(write(tmp_path, RECORDING))
    assert model.advance(10_000) == 103.0
    assert model.path(3).tolist() == [103, 103, 103]


def test_a_header_is_optional_and_blank_lines_are_skipped(tmp_path):
    model = replay(write(tmp_path, "\n".join(RECORDING.splitlines()[1:]) + "\n\n"), tick_seconds=1.0)
    assert model.path(4).tolist() == [101, 101, 102, 103]


def test_chunked_replay_gives_the_same_prices(tmp_path):
    path = write(tmp_path, RECORDING)
    whole = replay(path, tick_seconds=0.1).path(60)
    model = replay(path, tick_seconds=0.1)
    assert np.array_equal(
        np.concatenate([model.path(7), [model.advance(13)], model.path(40)]),
        whole[[*range(7), 19, *range(20, 60)]],
    )


def test_a_jump_scales_the_rest_of_the_replay(tmp_path):
    model = replay(write(tmp_path, RECORDING))
    model.advance(2)
    model.jump(-0.1)
    assert model.price == pytest.approx(90.9)
    np.testing.assert_allclose(model.path(6), [90.9, 90.9, 91.8, 91.8, 91.8, 92.7])


def test_next_price_is_the_next_recorded_price(tmp_path):
    model = replay(write(tmp_path, RECORDING))
    model.advance(1)
    assert model.next_price(12345.0) == 101.0
    assert model.price == 100.0


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("1,100\n2,abc\n", 2, "price 'abc' is not a positive number"),
        ("1,100\n2,-5\n", 2, "price '-5' is not a positive number"),
        ("1,100\n2,0\n", 2, "price '0' is not a positive number"),
        ("1,100\n2,\n", 2, "price '' is not a positive number"),
        ("1,100\n3,101\n2,102\n", 3, "timestamp 2 is not after the one on line 2"),
        ("1,100\n1,101\n", 2, "timestamp 1 is not after the one on line 1"),
        ("1,100\n\n1,101\n", 3, "timestamp 1 is not after the one on line 1"),
        ("1,100\n2,101,7\n", 2, "expected 2 fields (timestamp,price), got 3"),
        ("1,100\n2\n", 2, "expected 2 fields (timestamp,price), got 1"),
        ("timestamp,price\nsoon,100\n", 2, "timestamp 'soon' is not a number"),
        ("1,100\nnan,101\n", 2, "timestamp 'nan' is not a number"),
        ("1,100\n2,inf\n", 2, "price 'inf' is not a positive number"),
        ('1,100\n2,"101\n', 2, "not a CSV row"),
    ],
)
def test_a_bad_row_is_named_by_file_and_line(tmp_path, text, line, problem):
    path = write(tmp_path, text)
    with pytest.raises(ReplayFileError, match=f"^{re.escape(f'{path}, line {line}: {problem}')}") as caught:
        replay(path)
    assert (caught.value.path, caught.value.line) == (path, line)


@pytest.mark.parametrize("text", ["", "timestamp,price\n", "\n\n"])
def test_a_file_without_prices_is_refused(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ReplayFileError, match=f"^{re.escape(path)}: no price rows$"):
        read_prices(path)


def test_a_missing_file_is_named(tmp_path):
    path = str(tmp_path / "missing.csv")
    with pytest.raises(ReplayFileError, match=f"^{re.escape(path)}: cannot read it"):
        replay(path)


def test_a_file_that_is_not_text_is_named(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"1,100\n2,\xff\xfe\n")
    with pytest.raises(ReplayFileError, match=f"^{re.escape(str(path))}: not UTF-8 text"):
        replay(str(path))


def test_replay_needs_a_file():
    with pytest.raises(ValueError, match="replay_file"):
        CsvReplay(ModelSettings(initial_price=1.0, tick_seconds=1.0, tick_size=0.01), rng_for(0, "BTC/USD"))


def test_read_prices_returns_milliseconds_and_prices(tmp_path):
    times, prices = read_prices(write(tmp_path, RECORDING))
    assert times.tolist() == [1700000000000, 1700000001000, 1700000002500, 1700000004000]
    assert prices.tolist() == [100, 101, 102, 103]


# Binance public data, as data.binance.vision serves it: no header in spot files (one in futures files since
# 2022), milliseconds before 2025 and microseconds in spot files since.
T0 = 1735689600000  # 2025-01-01 00:00 UTC in epoch milliseconds: spot files switched to microseconds here
KLINES_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
    "taker_buy_quote_volume,ignore"
)
SPOT_AGG_TRADES_HEADER = (
    "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match"
)
FUTURES_AGG_TRADES_HEADER = (
    "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker"
)
UNITS = {"milliseconds": 1, "microseconds": 1000}


def kline(open_ms, open_price, close_price, per_ms=1, interval_ms=1000):
    """A Binance kline row; its close_time is the last millisecond (or microsecond) of the interval."""
    open_time = open_ms * per_ms
    close_time = (open_ms + interval_ms) * per_ms - 1
    low, high = sorted((open_price, close_price))
    return (
        f"{open_time},{open_price:.8f},{high + 1:.8f},{low - 1:.8f},{close_price:.8f},12.34500000,"
        f"{close_time},1234567.89000000,321,6.00000000,600000.00000000,0"
    )


def agg_trade(trade_id, price, time_ms, per_ms=1, spot=True):
    """A Binance aggTrade row: spot rows end with is_best_match, futures rows do not."""
    row = f"{trade_id},{price:.8f},0.01000000,{trade_id * 10},{trade_id * 10 + 2},{round(time_ms * per_ms)}"
    return row + (",True,True" if spot else ",false")


def lines(*rows, header=None):
    return "\n".join(([header] if header else []) + list(rows)) + "\n"


# Three one-second candles: open 100 close 101, open 101.5 close 102, open 102.5 close 103.
def three_candles(per_ms):
    return [
        kline(T0, 100, 101, per_ms),
        kline(T0 + 1000, 101.5, 102, per_ms),
        kline(T0 + 2000, 102.5, 103, per_ms),
    ]


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("header", [None, KLINES_HEADER])
def test_binance_klines_replay_each_candle_from_its_open_and_end_on_the_last_close(tmp_path, unit, header):
    model = replay(write(tmp_path, lines(*three_candles(UNITS[unit]), header=header)))
    assert model.price == 100.0  # the first candle's open
    assert model.path(8).tolist() == [100, 101.5, 101.5, 102.5, 102.5, 103, 103, 103]


@pytest.mark.parametrize("unit", UNITS)
def test_binance_klines_are_read_as_open_then_close_in_milliseconds(tmp_path, unit):
    times, prices = read_prices(write(tmp_path, lines(*three_candles(UNITS[unit]))))
    last = 999 if unit == "milliseconds" else 999.999  # close_time: the interval's last ms or us
    np.testing.assert_allclose(times - T0, [0, last, 1000, 1000 + last, 2000, 2000 + last], atol=1e-6)
    assert prices.tolist() == [100, 101, 101.5, 102, 102.5, 103]


def test_a_gap_between_klines_holds_the_close_before_it(tmp_path):
    model = replay(write(tmp_path, lines(kline(T0, 100, 101), kline(T0 + 3000, 105, 106))))
    assert model.path(9).tolist() == [100, 101, 101, 101, 101, 105, 105, 106, 106]


def test_a_day_of_minute_klines_at_speed_60_plays_a_minute_a_second(tmp_path):
    day = [kline(T0 + minute * 60_000, 100 + minute, 100.5 + minute, 1000, 60_000) for minute in range(1440)]
    model = replay(write(tmp_path, lines(*day, header=KLINES_HEADER)), tick_seconds=1.0, speed=60.0)
    assert model.path(3).tolist() == [101, 102, 103]  # each one-second tick: the next minute's open
    assert model.advance(1436) == 1539.0
    assert model.path(2).tolist() == [1539.5, 1539.5]  # after the last candle its close holds


# Trades at 0 ms, two at 200 ms (one taker order sweeping two levels), 1200 ms and 1700 ms.
def some_trades(per_ms, spot):
    return [
        agg_trade(1, 100, T0, per_ms, spot),
        agg_trade(2, 100.5, T0 + 200, per_ms, spot),
        agg_trade(3, 100.7, T0 + 200, per_ms, spot),
        agg_trade(4, 101, T0 + 1200, per_ms, spot),
        agg_trade(5, 99, T0 + 1700, per_ms, spot),
    ]


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize(
    ("spot", "header"),
    [(True, None), (True, SPOT_AGG_TRADES_HEADER), (False, None), (False, FUTURES_AGG_TRADES_HEADER)],
    ids=["spot", "spot-header", "futures", "futures-header"],
)
def test_binance_agg_trades_replay_the_trade_prices(tmp_path, unit, spot, header):
    path = write(tmp_path, lines(*some_trades(UNITS[unit], spot), header=header))
    assert replay(path).path(5).tolist() == [100.7, 100.7, 101, 99, 99]
    times, prices = read_prices(path)
    assert (times - T0).tolist() == [0, 200, 1200, 1700]  # trades at one time: the last one's price
    assert prices.tolist() == [100, 100.7, 101, 99]


def test_agg_trades_in_microseconds_keep_their_order_within_a_millisecond(tmp_path):
    trades = [
        agg_trade(1, 100, T0 + 0.25, 1000),
        agg_trade(2, 101, T0 + 0.75, 1000),
        agg_trade(3, 102, T0 + 1, 1000),
    ]
    times, prices = read_prices(write(tmp_path, lines(*trades)))
    np.testing.assert_allclose(times - T0, [0.25, 0.75, 1], atol=1e-6)
    assert prices.tolist() == [100, 101, 102]


def test_files_from_before_and_after_the_switch_to_microseconds_can_be_joined(tmp_path):
    december = [agg_trade(1, 100, T0), agg_trade(2, 101, T0 + 500)]
    january = [agg_trade(3, 102, T0 + 1000, 1000), agg_trade(4, 103, T0 + 1500, 1000)]
    assert replay(write(tmp_path, lines(*december, *january))).path(4).tolist() == [101, 102, 103, 103]


KLINE = "1700000000000,100.0,101.0,99.0,101.0,12.3,1700000000999,1234.5,321,6.1,617.2,0"
AGG_TRADE = "1,100.0,0.01,10,12,1700000000000,True,True"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (f"{KLINE}\n{KLINE[:-2]}\n", 2, "expected 12 fields (Binance klines), got 11"),
        (f"{KLINE}\n1700000001000,101,102,100,abc,1,1700000001999,1,1,1,1,0\n", 2, "close 'abc' is not a"),
        (
            f"{KLINE}\n1700000001000,0,102,100,101,1,1700000001999,1,1,1,1,0\n",
            2,
            "open '0' is not a positive",
        ),
        (f"{KLINE}\nsoon,101,102,100,101,1,1700000001999,1,1,1,1,0\n", 2, "open_time 'soon' is not a number"),
        (
            f"{KLINE}\n1700000000000,101,102,100,101,1,later,1,1,1,1,0\n",
            2,
            "close_time 'later' is not a number",
        ),
        (
            f"{KLINE}\n1700000000999,101,102,100,101,1,1700000001999,1,1,1,1,0\n",
            2,
            "open_time 1700000000999 is not after the close_time on line 1",
        ),
        (
            "1700000000000,100,101,99,101,1,1700000000000,1,1,1,1,0\n",
            1,
            "close_time 1700000000000 is not after its open_time",
        ),
        (f"{KLINES_HEADER}\n{KLINE}\n{KLINES_HEADER}\n", 3, "open_time 'open_time' is not a number"),
        (
            f"{AGG_TRADE}\n2,101,1,13,13,1700000000005,False,True\n3,102,1,14,14,1700000000004,False,True\n",
            3,
            "transact_time 1700000000004 is before the one on line 2",
        ),
        (f"{AGG_TRADE}\n2,-1,1,13,13,1700000000005,False,True\n", 2, "price '-1' is not a positive number"),
        (
            f"{AGG_TRADE}\n2,101,1,13,13,1700000000005,false\n",
            2,
            "expected 8 fields (Binance aggTrades), got 7",
        ),
        (
            "1,2,3,4,5\n",
            1,
            "expected 2 fields (timestamp,price), 12 (Binance klines) or 7 or 8 (Binance aggTrades), got 5",
        ),
    ],
)
def test_a_bad_binance_row_is_named_by_file_and_line(tmp_path, text, line, problem):
    path = write(tmp_path, text)
    with pytest.raises(ReplayFileError, match=f"^{re.escape(f'{path}, line {line}: {problem}')}") as caught:
        replay(path)
    assert (caught.value.path, caught.value.line) == (path, line)
