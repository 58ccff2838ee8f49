"""``python -m exchangesim.client``: its options, the dashboard mode, and refusals before anything runs."""

import asyncio
import webbrowser

import pytest
from rich.console import Console

from exchangesim.client.cli import main, parser
from exchangesim.client.scenarios import SCENARIOS

from ..asyncio_runner import asyncio_test
from .fake_exchange import FakeExchange, error_reply, reply


def recording_console():
    return Console(record=True, width=200)


def test_the_defaults_and_the_options():
    options = parser().parse_args([])
    assert (options.base_url, options.symbol, options.scenarios, options.no_browser) == (
        "http://127.0.0.1:8765",
        "BTC/USD",
        False,
        False,
    )
    options = parser().parse_args(
        ["--scenario", "lost-ack", "--scenario", "reconnect", "--faults", "ack-loss", "--orders", "50"]
    )
    assert options.scenario == ["lost-ack", "reconnect"] and options.faults == "ack-loss"
    assert options.orders == 50


def test_the_admin_token_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("EXCHANGESIM_ADMIN_TOKEN", "from-env")
    assert parser().parse_args([]).admin_token == "from-env"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scenarios", "--faults", "ack-loss"], "--faults needs the admin token"),
        (["--json", "out.json"], "--json goes with --scenarios or --scenario NAME"),
        (["--scenarios", "--scenario", "lost-ack"], "not both"),
        (["--scenario", "no-such"], "invalid choice: 'no-such'"),
        (["--orders", "0"], "must be more than 0"),
        (["--api-secret", "s"], "--api-secret needs the --api-key"),
    ],
)
def test_contradictory_or_incomplete_options_are_refused(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("EXCHANGESIM_ADMIN_TOKEN", raising=False)
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_a_bad_profile_is_refused_naming_section_and_key_before_the_daemon_is_asked(tmp_path):
    path = tmp_path / "bad.ini"
    path.write_text("[failure:gaps]\nmode = drop\nlayer = ws\nnth = often\n", "utf-8")
    console = recording_console()
    argv = ["--base-url", "http://127.0.0.1:9", "--admin-token", "t", "--scenarios", "--faults", str(path)]
    assert main(argv, console) == 2
    assert f"{path}: [failure:gaps] nth = 'often': expected a whole number" in console.export_text()


def test_list_names_every_scenario_with_its_kinds_and_every_profile():
    console = recording_console()
    assert main(["--list"], console) == 0
    text = console.export_text()
    for name in SCENARIOS:
        assert name in text
    assert "lost-ack" in text and "[lost_ack]" in text
    assert "exchange-overload  throttled, unavailable" in text


def test_a_daemon_that_does_not_answer_fails_the_run():
    console = recording_console()
    assert main(["--base-url", "http://127.0.0.1:9", "--scenarios"], console) == 1
    assert "exchangesim at http://127.0.0.1:9 does not answer" in console.export_text()


@asyncio_test
async def test_the_default_mode_checks_health_prints_the_url_and_opens_a_browser(monkeypatch):
    opened = []

    class Browser:
        def open(self, url):
            opened.append(url)
            return True

    monkeypatch.setattr(webbrowser, "get", lambda: Browser())
    async with FakeExchange() as fake:
        fake.route("GET", "/api/v1/health", reply({"status": "ok", "version": "0.1.0", "seed": 42}))
        fake.route("GET", "/api/v1/ticker", reply({"symbol": "ETH/USD", "last_price": "3000.00"}))
        console = recording_console()
        code = await asyncio.to_thread(main, ["--base-url", fake.base_url, "--symbol", "ETH/USD"], console)
        quiet = recording_console()
        await asyncio.to_thread(main, ["--base-url", fake.base_url, "--no-browser"], quiet)
        url = f"{fake.base_url.rstrip('/')}/"
    assert code == 0 and opened == [f"{url}?symbol=ETH%2FUSD"]
    text = console.export_text()
    assert "is up at" in text and "ETH/USD last price 3000.00" in text
    assert f"dashboard: {url}?symbol=ETH%2FUSD" in text
    assert f"dashboard: {url}?symbol=BTC%2FUSD" in quiet.export_text()


@asyncio_test
async def test_without_a_browser_the_url_is_printed_all_the_same(monkeypatch):
    def no_browser():
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    async with FakeExchange() as fake:
        fake.route("GET", "/api/v1/health", reply({"status": "ok", "version": "0.1.0", "seed": 42}))
        fake.route("GET", "/api/v1/ticker", reply({"symbol": "BTC/USD", "last_price": None}))
        console = recording_console()
        assert await asyncio.to_thread(main, ["--base-url", fake.base_url], console) == 0
    assert "no browser here: open the URL above" in console.export_text()


@asyncio_test
async def test_an_unknown_symbol_is_named_as_such_not_as_a_daemon_that_does_not_answer():
    async with FakeExchange() as fake:
        fake.route("GET", "/api/v1/health", reply({"status": "ok", "version": "0.1.0", "seed": 42}))
        fake.route("GET", "/api/v1/ticker", error_reply(404, "UNKNOWN_SYMBOL", "no such symbol", "symbol"))
        console = recording_console()
        argv = ["--base-url", fake.base_url, "--symbol", "DOGE/USD", "--no-browser"]
        assert await asyncio.to_thread(main, argv, console) == 1
    text = console.export_text()
    assert "has no ticker for DOGE/USD" in text and "does not answer" not in text
