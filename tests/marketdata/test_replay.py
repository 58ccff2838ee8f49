"""CSV replay: recorded prices played on the ticks at a speed factor, and bad files named with their line."""

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
