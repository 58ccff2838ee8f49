"""``etc/sim.ini`` is the package's defaults written out, and what is written reads back the same."""

from pathlib import Path

from exchangesim.config import Config, render_ini
from exchangesim.config_checks import load_config

REPO = Path(__file__).resolve().parents[2]


def test_etc_sim_ini_agrees_with_the_packaged_defaults():
    shipped = (REPO / "etc" / "sim.ini").read_text(encoding="utf-8")
    assert shipped == render_ini(), "etc/sim.ini is stale: run `make config`"


def test_every_key_is_documented_with_its_default():
    text = render_ini()
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith("#") and (" = " in line or line.endswith(" =")):
            assert lines[index - 1].startswith("# "), f"{line!r} has no doc comment"


def test_a_rendered_config_loads_back_equal(tmp_path):
    config = Config()
    config.exchange.seed = 5
    config.exchange.symbols = ("BTC/USD",)
    config.symbols = {"BTC/USD": config.symbols["BTC/USD"]}
    config.symbols["BTC/USD"].taker_fee = "0.0025"
    path = tmp_path / "sim.ini"
    path.write_text(render_ini(config), encoding="utf-8")
    assert load_config([path]).traded_symbols() == config.traded_symbols()
    assert load_config([path]).exchange == config.exchange
    assert load_config([path]).accounts == config.accounts
