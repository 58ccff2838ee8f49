"""The configuration as the daemon takes it: one load checks config's own sections and those the price
models, the faults and the conditions read, every problem in one error with its file and line."""

import pytest

from exchangesim.config import Config, ConfigError
from exchangesim.config_checks import check_config, load_config

EVERY_OWNER_WRONG = """\
[exchange]
seed = minus one
[market_data]
model = gmb
[failure:lag]
mode = delay
layer = ws
probability = 2
[condition:storm]
kind = storm
"""


def test_one_load_reports_every_packages_problems_at_once(tmp_path):
    path = tmp_path / "sim.ini"
    path.write_text(EVERY_OWNER_WRONG, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    assert [(p.source, p.line, p.section, p.key) for p in caught.value.problems] == [
        (str(path), 2, "exchange", "seed"),
        (str(path), 4, "market_data", "model"),
        (str(path), 8, "failure:lag", "probability"),
        (str(path), 10, "condition:storm", "kind"),
    ]


def test_a_programmatic_config_meets_the_same_checks():
    config = Config()
    config.market_data.model = "gmb"
    config.faults["lag"] = {"mode": "delay", "layer": "ws", "probability": 2}
    config.conditions["storm"] = {"kind": "storm"}
    assert [(p.source, p.section, p.key) for p in check_config(config)] == [
        ("<Config>", "market_data", "model"),
        ("<Config>", "failure:lag", "probability"),
        ("<Config>", "condition:storm", "kind"),
    ]
    assert check_config(Config()) == []
