"""Reading INI and JSON files: overrides, and every class of error reported together with its place."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import exchangesim.config
from exchangesim.config import Config, ConfigError, Problem, _loader
from exchangesim.config_checks import load_config


def write(tmp_path, text, name="sim.ini"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def problems_of(*paths):
    with pytest.raises(ConfigError) as caught:
        load_config(paths)
    return caught.value.problems


def test_no_files_gives_the_defaults():
    config = load_config([])
    assert config.server.endpoint == "tcp:8765:interface=127.0.0.1"
    assert config.exchange.symbols == ("BTC/USD", "ETH/USD")


def test_values_are_typed_and_later_files_override_earlier(tmp_path):
    first = write(tmp_path, "[exchange]\nseed = 7\ntaker_fee = 0.002\n[failures]\nenabled = yes\n", "a.ini")
    second = write(tmp_path, "[exchange]\nseed = 9\n", "b.ini")
    config = load_config([first, second])
    assert config.exchange.seed == 9
    assert config.exchange.taker_fee == Decimal("0.002")
    assert config.failures.enabled is True


def test_a_new_symbol_needs_listing_and_an_initial_price(tmp_path):
    path = write(
        tmp_path,
        "[exchange]\nsymbols = BTC/USD, SOL/USD\n[symbol:SOL/USD]\ninitial_price = 150.25\nlot_size = 0.01\n"
        "min_qty = 0.01\n",
    )
    config = load_config([path])
    assert list(config.traded_symbols()) == ["BTC/USD", "SOL/USD"]
    assert config.symbols["SOL/USD"].initial_price == Decimal("150.25")


def test_every_problem_is_reported_at_once_with_file_section_key_value_and_reason(tmp_path):
    path = write(
        tmp_path,
        "[server]\nendpont = tcp:1\n"
        "[exchange]\nseed = minus one\ntaker_fee = 0.5\n"
        "[failures]\nenabled = maybe\n"
        "[market_dta]\nmodel = gbm\n",
    )
    found = {(p.section, p.key): p for p in problems_of(path)}
    assert set(found) == {
        ("server", "endpont"),
        ("exchange", "seed"),
        ("exchange", "taker_fee"),
        ("failures", "enabled"),
        ("market_dta", None),
    }
    assert "did you mean 'endpoint'?" in found["server", "endpont"].reason
    assert "did you mean 'market_data'?" in found["market_dta", None].reason
    assert found["exchange", "seed"].value == "minus one"
    assert found["exchange", "taker_fee"].reason == "must be between 0 and 0.1"
    message = str(ConfigError(list(found.values())))
    assert f"{path}, line 7: [failures] enabled = 'maybe': expected true or false" in message
    assert message.startswith("invalid configuration (5 problems):")


def test_a_bad_endpoint_is_refused_at_load_time(tmp_path):
    (problem,) = problems_of(write(tmp_path, "[server]\nendpoint = carrier-pigeon:80\n"))
    assert (problem.section, problem.key) == ("server", "endpoint")
    assert "not a Twisted server endpoint description" in problem.reason


def test_a_missing_file_is_named(tmp_path):
    missing = str(tmp_path / "nowhere.ini")
    (problem,) = problems_of(missing)
    assert str(problem) == f"{missing}: no such file"


def test_problems_from_several_files_are_collected(tmp_path):
    missing = str(tmp_path / "nowhere.ini")
    bad = write(tmp_path, "[exchange]\nseed = x\n")
    assert [p.source for p in problems_of(missing, bad)] == [missing, bad]


def test_an_unreadable_file_is_named(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_loader, "open", refuse, raising=False)  # root reads any file, so pretend
    (problem,) = problems_of(write(tmp_path, "[server]\n"))
    assert problem.reason == "permission denied"


def test_a_directory_is_not_a_config_file(tmp_path):
    (problem,) = problems_of(str(tmp_path))
    assert "is a directory" in problem.reason


def test_text_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "sim.ini"
    path.write_bytes(b"[server]\nendpoint = \xff\n")
    (problem,) = problems_of(str(path))
    assert problem.reason.startswith("not UTF-8 text")


def test_syntax_errors_name_the_file_and_line_in_words(tmp_path):
    path = write(tmp_path, "endpoint = tcp:1\n")
    (problem,) = problems_of(path)
    assert str(problem) == (
        f"{path}, line 1: 'endpoint = tcp:1' comes before any [section] header:"
        " put it under one, e.g. [server]"
    )
    (problem,) = problems_of(write(tmp_path, "[exchange]\nseed = 1\nSeed = 2\n"))
    assert str(problem).endswith(", line 3: [exchange] seed: set a second time in this section: keep one")
    (problem,) = problems_of(write(tmp_path, "[exchange]\nseed = 1\n\n[exchange]\n"))
    assert str(problem).endswith(
        ", line 4: [exchange] appears a second time in this file: keep its keys under one header"
    )
    problems = problems_of(write(tmp_path, "[exchange]\nseed 1\n[server]\n# fine\nendpoint\n"))
    assert [(p.line, p.reason) for p in problems] == [
        (2, "'seed 1' is not a setting (key = value), a [section] header or a comment"),
        (5, "'endpoint' is not a setting (key = value), a [section] header or a comment"),
    ]
    assert "Source contains parsing errors" not in str(ConfigError(problems))


def test_value_problems_name_the_line_and_the_key_as_written(tmp_path):
    first = write(tmp_path, "[exchange]\nseed = 1\n", "first.ini")
    path = write(
        tmp_path,
        "# mine\n[server]\nEndpont = tcp:1\n\n[exchange]\nsymbols = BTC/USD, SOL/USD\n  # note\nSeed = x\n"
        "[exchnage]\n",
    )
    found = {str(problem) for problem in problems_of(first, path)}
    assert found == {
        f"{path}, line 3: [server] Endpont: unknown key; did you mean 'endpoint'?",
        f"{path}, line 6: [exchange] symbols = 'BTC/USD, SOL/USD': SOL/USD has no [symbol:SOL/USD] section",
        f"{path}, line 8: [exchange] Seed = 'x': expected a whole number",
        f"{path}, line 9: [exchnage]: unknown section; did you mean 'exchange'?",
    }


def test_interpolation_is_off(tmp_path):
    config = load_config([write(tmp_path, "[server]\nadmin_token = %(token)s\n")])
    assert config.server.admin_token == "%(token)s"


def test_the_default_section_is_not_special(tmp_path):
    (problem,) = problems_of(write(tmp_path, "[DEFAULT]\nseed = 1\n"))
    assert problem.section == "DEFAULT" and problem.reason.startswith("unknown section")


def test_symbol_sections_are_checked_as_a_whole(tmp_path):
    path = write(
        tmp_path,
        "[exchange]\nsymbols = BTC/USD, XRP/USD\n"
        "[symbol:BTC/USD]\ninitial_price = 50000.005\nmin_qty = 0.00015\n"
        "[symbol:DOGE/USD]\ninitial_price = 0.1\n"
        "[symbol:btc-usd]\ninitial_price = 1\n",
    )
    found = {(p.section, p.key): p.reason for p in problems_of(path)}
    assert found == {
        ("exchange", "symbols"): "XRP/USD has no [symbol:XRP/USD] section",
        ("symbol:BTC/USD", "initial_price"): "not on the tick_size grid (0.01)",
        ("symbol:BTC/USD", "min_qty"): "not a multiple of lot_size (0.0001)",
        ("symbol:DOGE/USD", None): "this symbol is not listed in [exchange] symbols",
        (
            "symbol:btc-usd",
            None,
        ): "bad section name: 'btc-usd' is not a symbol of the form BASE/QUOTE, such as BTC/USD",
    }


def test_balances_parse_and_refuse_bad_pairs(tmp_path):
    config = load_config([write(tmp_path, "[accounts]\ndefault_balance = USD:250.50, SOL:3\n")])
    assert config.accounts.default_balance == {"USD": Decimal("250.50"), "SOL": Decimal("3")}
    (problem,) = problems_of(write(tmp_path, "[accounts]\ndefault_balance = USD=5\n"))
    assert problem.reason == "'USD=5' is not ASSET:AMOUNT, such as USD:100000"
    (problem,) = problems_of(write(tmp_path, "[accounts]\ndefault_balance = USD:-5\n"))
    assert problem.reason == "the balance of USD is negative"


@pytest.mark.parametrize("text", ["NaN", "inf", "-Infinity", "1e", ""])
def test_decimals_must_be_finite_numbers(tmp_path, text):
    (problem,) = problems_of(write(tmp_path, f"[exchange]\nmaker_fee = {text}\n"))
    assert problem.key == "maker_fee"


def test_the_seed_json_maps_key_by_key(tmp_path):
    seed = {
        "server": {"host": "localhost", "port": 9001},
        "exchange": {
            "symbols": ["BTC/USD"],
            "initial_prices": {"BTC/USD": 42000.5},
            "default_balance": {"USD": 5000, "BTC": 1.5},
            "tick_interval": 0.01,
        },
        "pricing_model": {"model_type": "gbm", "drift": 0.05, "volatility": 0.3},
        "failures": {"enabled": True},
    }
    config = load_config([write(tmp_path, json.dumps(seed), "config.json")])
    assert config.server.endpoint == "tcp:9001:interface=localhost"
    assert config.exchange.symbols == ("BTC/USD",)
    assert config.symbols["BTC/USD"].initial_price == Decimal("42000.5")
    assert config.accounts.default_balance == {"USD": Decimal(5000), "BTC": Decimal("1.5")}
    assert config.exchange.tick_interval_ms == 10
    assert (config.market_data.model, config.market_data.drift, config.market_data.volatility) == (
        "gbm",
        0.05,
        0.3,
    )
    assert config.failures.enabled is True


def test_the_seed_json_reports_problems_in_json_terms(tmp_path):
    seed = {"exchange": {"tick_interval": 0.0005}, "pricing_model": {"volatility": -1}, "server": [1]}
    (problem,) = problems_of(write(tmp_path, json.dumps(seed), "config.json"))
    assert problem.reason == "'server' must be a JSON object of keys"
    seed["server"] = {"host": "localhost", "port": "8765"}
    seed["failures"] = {"enabled": "maybe", "modes": {"drop_messages": {"probability": 2}}}
    path = write(tmp_path, json.dumps(seed, indent=2), "config.json")
    problems = problems_of(path)
    # the INI keys they became stay available to programs
    assert {(p.section, p.key) for p in problems} == {
        (None, None),
        ("exchange", "tick_interval_ms"),
        ("market_data", "volatility"),
        ("failures", "enabled"),
        ("failure:drop_messages", "probability"),
    }
    assert {str(p) for p in problems} == {
        f"{path}, line 3: exchange.tick_interval = 0.0005: expected a whole number"
        " (read as [exchange] tick_interval_ms = 0.5000)",
        f"{path}, line 6: pricing_model.volatility = -1: must be between 0.0 and 100.0"
        " (read as [market_data] volatility = -1)",
        f'{path}, line 10: server.port = "8765": must be a whole number from 0 to 65535',
        f'{path}, line 13: failures.enabled = "maybe": expected true or false'
        " (read as [failures] enabled = 'maybe')",
        f"{path}, line 16: failures.modes.drop_messages.probability = 2: must be at most 1"
        " (read as [failure:drop_messages] probability = 2)",
    }
    assert "[server] endpoint" not in str(ConfigError(problems))


def test_broken_json_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, '{"server":\n', "config.json")
    (problem,) = problems_of(path)
    assert str(problem) == f"{path}, line 2, column 1: not valid JSON: Expecting value"


@pytest.mark.parametrize("name", ["default", "fees", "agent-maker", "agent-taker"])
def test_the_simulators_own_account_names_are_reserved(tmp_path, name):
    (problem,) = problems_of(write(tmp_path, f"[account:{name}]\napi_key = some-key-0001\n"))
    assert (problem.section, problem.reason.startswith("reserved for")) == (f"account:{name}", True)


def test_a_relative_replay_file_is_relative_to_its_ini_file(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "btc.csv").write_text("1000,50000\n2000,50010\n", encoding="utf-8")
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "sim.ini"
    path.write_text("[symbol:BTC/USD]\nmodel = csv\nreplay_file = ../data/btc.csv\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "data")  # anywhere but the INI's folder
    config = load_config([str(path)])
    assert Path(config.symbols["BTC/USD"].replay_file).resolve() == tmp_path / "data" / "btc.csv"


def test_an_accounts_balance_in_an_asset_nothing_trades_is_refused(tmp_path):
    path = write(tmp_path, "[account:alice]\napi_key = alice-key-0001\nbalances = USD:100, DOGE:5\n")
    (problem,) = problems_of(path)
    assert (problem.section, problem.key) == ("account:alice", "balances")
    assert problem.reason.startswith("no listed symbol trades DOGE")


def unlucky_seven(config, source_of):
    """Another package's check of the sections it reads: here, it refuses seed 7."""
    if config.exchange.seed != 7:
        return []
    return [Problem(source_of("exchange"), "seven is unlucky here", "exchange", "seed", config.exchange.seed)]


def test_a_section_validators_problems_join_the_loaders_own_in_one_error(tmp_path):
    path = write(tmp_path, "[server]\nendpont = tcp:1\n[exchange]\nSeed = 7\n")
    with pytest.raises(ConfigError) as caught:
        exchangesim.config.read_config([path], validators=[unlucky_seven])
    assert [str(problem) for problem in caught.value.problems] == [
        f"{path}, line 2: [server] endpont: unknown key; did you mean 'endpoint'?",
        f"{path}, line 4: [exchange] Seed = 7: seven is unlucky here",
    ]
    config = Config()
    config.exchange.seed = 7
    [problem] = exchangesim.config.config_problems(config, validators=[unlucky_seven])
    assert str(problem) == "<Config>: [exchange] seed = 7: seven is unlucky here"


LOAD_WITHOUT_VALIDATORS = """
import json, sys
from exchangesim.config import read_config
config = read_config(sys.argv[1:], validators=())
print(json.dumps([sorted(config.faults), sorted(config.conditions), sorted(sys.modules)]))
"""


def test_loading_imports_nothing_of_the_packages_that_check_their_own_sections(tmp_path):
    path = write(tmp_path, "[failure:lag]\nmode = delay\n[condition:storm]\nkind = halt\n")
    result = subprocess.run(
        [sys.executable, "-c", LOAD_WITHOUT_VALIDATORS, path], capture_output=True, text=True, check=True
    )
    faults, conditions, modules = json.loads(result.stdout)
    assert (faults, conditions) == (["lag"], ["storm"])  # kept as given for their owners
    owners = ("exchangesim.failures", "exchangesim.marketdata")
    assert [name for name in modules if name.startswith(owners)] == []
