"""The statistics read the engine's TRADE records: every trade of a command reaches the 24-hour statistics
and each interval's candles, and the candles a trade closes are announced."""

from exchangesim.marketdata.rolling import WindowStats
from exchangesim.marketdata.statistics import MarketStatistics
from tests.engine.conftest import BTC, Desk

MAKER, TAKER = "alice", "bob"  # two of the desk's funded accounts
T0 = 1_700_000_040_000  # on a minute, after the desk's deposits


def trading():
    """The engine tests' desk, whose commands feed fresh statistics (opened at 100.00 at T0), and what the
    statistics announced."""
    exchange = Desk().x
    statistics = MarketStatistics()
    statistics.start(BTC, 10_000, T0)
    announced = []
    statistics.candle_listeners.append(
        lambda symbol, interval, closed: announced.append((symbol, interval, closed))
    )
    exchange.subscribe(statistics.record_trades)
    return exchange, statistics, announced


def fields(candle, names: str) -> tuple:
    """The candle's fields of these (space-separated) names."""
    return tuple(getattr(candle, name) for name in names.split())


def test_each_trade_of_a_command_reaches_the_candles_and_the_24_hours():
    exchange, statistics, announced = trading()
    exchange.place(MAKER, BTC, "SELL", "LIMIT", 1_000, 10_000, ts=T0 + 1)
    exchange.place(MAKER, BTC, "SELL", "LIMIT", 2_000, 10_100, ts=T0 + 2)
    first, second = exchange.place(TAKER, BTC, "BUY", "MARKET", 3_000, ts=T0 + 500).trades
    assert [(t.price, t.quantity, t.taker_side) for t in (first, second)] == [
        (10_000, 1_000, "BUY"),
        (10_100, 2_000, "BUY"),
    ]
    quote = first.quote + second.quote
    candle = statistics.candles[BTC]["1s"].current
    assert fields(candle, "open high low close volume trades") == (10_000, 10_100, 10_000, 10_100, 3_000, 2)
    assert fields(candle, "quote_volume taker_buy_volume taker_buy_quote_volume") == (quote, 3_000, quote)
    assert fields(candle, "first_trade_id last_trade_id") == (first.trade_id, second.trade_id)
    rolling = statistics.rolling[BTC]
    window = WindowStats(10_000, 10_100, 10_000, 3_000, quote, 2, first.trade_id, second.trade_id, 2_000)
    assert rolling.stats(T0 + 500) == rolling.since(T0) == window
    assert rolling.last_ts == T0 + 500 and announced == []

    exchange.place(TAKER, BTC, "BUY", "LIMIT", 1_000, 9_900, ts=T0 + 1_000)
    [sold] = exchange.place(MAKER, BTC, "SELL", "MARKET", 1_000, ts=T0 + 1_200).trades
    [(symbol, interval, closed)] = announced  # the sale opened the next second; longer intervals go on
    assert (symbol, interval, closed) == (BTC, "1s", [candle]) and candle.closed
    current = statistics.candles[BTC]["1s"].current
    assert fields(current, "open_time close taker_buy_volume") == (T0 + 1_000, 9_900, 0)
    assert current.first_trade_id == current.last_trade_id == sold.trade_id
    minute = statistics.candles[BTC]["1m"].current
    assert fields(minute, "trades volume taker_buy_volume low") == (3, 4_000, 3_000, 9_900)
    assert rolling.stats(T0 + 1_200).last_id == sold.trade_id and rolling.last_ts == T0 + 1_200


def test_commands_without_trades_leave_the_statistics_alone():
    exchange, statistics, announced = trading()
    exchange.place(MAKER, BTC, "SELL", "LIMIT", 1_000, 10_000, ts=T0 + 1)
    exchange.place(TAKER, BTC, "BUY", "LIMIT", 1_000, 9_000, ts=T0 + 5_000)
    assert statistics.rolling[BTC].stats(T0 + 5_000) is None and statistics.rolling[BTC].last_ts is None
    assert statistics.candles[BTC]["1s"].current.trades == 0 and announced == []
