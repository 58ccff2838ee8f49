"""The market data's checks of a configuration: the price models named and the csv model's recordings,
each problem naming the section and key it is about."""

from exchangesim.config import Config
from exchangesim.marketdata.sections import check_price_models


def source_of(section):
    return f"<{section}>"


def test_an_unknown_price_model_is_named_with_a_suggestion():
    config = Config()
    config.market_data.model = "gmb"
    config.symbols["ETH/USD"].model = "brownian"
    problems = {
        (p.source, p.section, p.key, p.value): p.reason for p in check_price_models(config, source_of)
    }
    assert "did you mean 'gbm'" in problems["<market_data>", "market_data", "model", "gmb"]
    assert (
        "known price models: csv, gbm" in problems["<symbol:ETH/USD>", "symbol:ETH/USD", "model", "brownian"]
    )


def test_a_csv_model_needs_a_readable_recording(tmp_path):
    recording = tmp_path / "btc.csv"
    recording.write_text("timestamp,price\n1000,50000\n900,50010\n", encoding="utf-8")
    config = Config()
    config.symbols["BTC/USD"].model = config.symbols["ETH/USD"].model = "csv"
    config.symbols["BTC/USD"].replay_file = str(recording)
    problems = {(p.section, p.key): p.reason for p in check_price_models(config, source_of)}
    assert problems["symbol:ETH/USD", "replay_file"] == "required by the csv price model"
    reason = problems["symbol:BTC/USD", "replay_file"]
    assert str(recording) in reason and "line 3" in reason


def test_the_default_models_and_a_readable_recording_pass(tmp_path):
    recording = tmp_path / "btc.csv"
    recording.write_text("timestamp,price\n1000,50000\n2000,50010\n", encoding="utf-8")
    config = Config()
    config.symbols["BTC/USD"].model = "csv"
    config.symbols["BTC/USD"].replay_file = str(recording)
    assert check_price_models(config, source_of) == []
