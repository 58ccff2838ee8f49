"""The README's steps run as written, against the configuration they name, and print what they promise.

Every Python block and every curl command the README aims at ``make run``'s daemon (127.0.0.1:8765) runs
against a daemon started with the arguments ``make run`` itself gives twistd (read from make's dry run,
so the Makefile and this test cannot drift apart): etc/sim.ini, then etc/demo.ini. Only the port
changes, and the working directory (so the saved state goes to a temporary folder, not the checkout's).
"""

import asyncio
import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from exchangesim.client import ExchangeClient
from exchangesim.tap import CONFIG_ERROR_EXIT

from .daemon import Daemon, run_twistd

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
MAKE_RUN_ADDRESS = "127.0.0.1:8765"
MAKE_RUN_URL = f"http://{MAKE_RUN_ADDRESS}"
RUN_STAMP = ".venv/.installed"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def snippet(name, language="python"):
    match = re.search(rf"<!-- snippet: {name} -->\n```{language}\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no {language} snippet {name}"
    return match.group(1)


def blocks(language):
    """(name, text) of every fenced block of ``language`` in the README: its snippet name, else its line."""
    found = []
    for match in BLOCK.finditer(README):
        if match.group(1) == language:
            tag = re.search(r"<!-- snippet: (\S+) -->\n\Z", README[: match.start()])
            name = tag.group(1) if tag else f"README line {README.count(chr(10), 0, match.start()) + 1}"
            found.append((name, match.group(2)))
    return found


def for_make_run(language):
    """The blocks of ``language`` aimed at make run's daemon, as pytest parameters."""
    found = [(name, text) for name, text in blocks(language) if MAKE_RUN_ADDRESS in text]
    return [pytest.param(text, id=name) for name, text in found]


def make_run_arguments(*variables):
    """twistd exchangesim's arguments as ``make run VARIABLE=value ...`` gives them (make's dry run, the
    install taken as done), paths of the checkout made absolute."""
    dry_run = subprocess.run(
        ["make", "--silent", "--dry-run", f"--assume-old={RUN_STAMP}", "run", *variables],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = shlex.split(dry_run.replace("\\\n", " "))
    assert words[:4] == [".venv/bin/twistd", "--nodaemon", "--pidfile=", "exchangesim"], dry_run
    arguments = words[4:]
    return [
        str(REPO / word) if before == "--config" and not Path(word).is_absolute() else word
        for before, word in zip(["", *arguments], arguments, strict=False)
    ]


def run(code, tmp_path, timeout=120):
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, script], cwd=tmp_path, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_against(code, daemon, tmp_path):
    """Run a block written for ``make run`` against ``daemon``: only the port changes."""
    assert MAKE_RUN_ADDRESS in code, f"this block does not talk to {MAKE_RUN_URL}"
    return run(code.replace(MAKE_RUN_ADDRESS, f"127.0.0.1:{daemon.port}"), tmp_path)


@contextlib.contextmanager
def make_run(workdir, *settings, variables=()):
    """The daemon as ``make run`` starts it (with make's ``variables``; ``settings``: INI lines of one
    more file after make's), on a free port, in ``workdir``."""
    workdir.mkdir(exist_ok=True)
    arguments = make_run_arguments(*variables)
    if settings:
        (workdir / "more.ini").write_text("\n".join(settings) + "\n", encoding="utf-8")
        arguments += ["--config", str(workdir / "more.ini")]
    daemon = Daemon(workdir, *arguments)
    try:
        yield daemon
    finally:
        daemon.stop()
    assert "Traceback (most recent call last)" not in daemon.output, daemon.output


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    """One daemon of make run's configuration for the client blocks, which leave its state as they
    found it (each checks so)."""
    with make_run(tmp_path_factory.mktemp("make-run")) as daemon:
        yield daemon


def default_account_state(base_url):
    """The default account's USD balance and its open orders, as a fresh client sees them."""

    async def read():
        async with ExchangeClient(base_url) as client:
            balance = await client.get_balance()
            orders = await client.get_open_orders()
        return balance["balances"]["USD"], orders["orders"]

    return asyncio.run(asyncio.wait_for(read(), 30))


def ticker(daemon):
    with urllib.request.urlopen(f"{daemon.base_url}/api/v1/ticker?symbol=BTC/USD", timeout=10) as response:
        return json.load(response)


REST_OUTPUT = re.compile(
    r"last price (None|\d+\.\d{2})\n"
    r"order (\d+) (NEW|FILLED|PARTIALLY_FILLED)\n"
    r"USD available (\S+) locked (\S+)\n"
)


# -- make run ------------------------------------------------------------------------------------------


@needs_make
def test_make_run_reads_the_defaults_then_the_demo_settings_and_takes_port_config_and_fresh():
    sim, demo = str(REPO / "etc" / "sim.ini"), str(REPO / "etc" / "demo.ini")
    assert make_run_arguments() == ["--config", sim, "--config", demo]
    assert make_run_arguments("PORT=9000", "CONFIG=my.ini /etc/b.ini", "FRESH=1") == [
        *["--config", sim, "--config", demo, "--config", str(REPO / "my.ini"), "--config", "/etc/b.ini"],
        *["--listen", "tcp:9000:interface=127.0.0.1", "--fresh"],
    ]
    assert make_run_arguments("FRESH=0") == ["--config", sim, "--config", demo]
    for knob in ("make run PORT=9000", "make run CONFIG=my.ini", "make run FRESH=1"):
        assert knob in README


FAKE_PROGRAM = """#!/bin/sh
echo "$(basename "$0") $*" >> "$CALLS"
"""


@needs_make
def test_make_run_installs_once_without_the_test_tools_and_again_when_the_package_changes(tmp_path):
    """The Makefile in a copy of the checkout whose venv's python and twistd only say they ran."""
    for name in ("Makefile", "setup.cfg", "pyproject.toml", "etc/sim.ini", "etc/demo.ini"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / "exchangesim").mkdir()
    (tmp_path / "exchangesim" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "twisted" / "plugins").mkdir(parents=True)
    (tmp_path / "twisted" / "plugins" / "exchangesim_plugin.py").write_text("", encoding="utf-8")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("python", "twistd"):
        (bin_dir / program).write_text(FAKE_PROGRAM, encoding="utf-8")
        (bin_dir / program).chmod(0o755)
    calls = tmp_path / "calls"

    def make_run():
        calls.write_text("", encoding="utf-8")
        env = {**os.environ, "CALLS": str(calls)}
        subprocess.run(["make", "--silent", "run"], cwd=tmp_path, env=env, check=True, capture_output=True)
        return [line.split(" ", 1)[1] for line in calls.read_text(encoding="utf-8").splitlines()]

    install = "-m pip install --quiet --no-build-isolation -e . --config-settings editable_mode=strict"
    cache = "-c from twisted.plugin import IPlugin, getPlugins; list(getPlugins(IPlugin))"
    started = "--nodaemon --pidfile= exchangesim --config etc/sim.ini --config etc/demo.ini"
    assert make_run() == [install, cache, started]  # no [dev]: the test tools are make test's
    assert make_run() == [started]
    (tmp_path / "exchangesim" / "__init__.py").write_text("# edited\n", encoding="utf-8")
    assert make_run() == [started]  # an edited module is linked already
    (tmp_path / "exchangesim" / "new.py").write_text("", encoding="utf-8")
    assert make_run() == [install, cache, started]  # a new one needs its link
    time.sleep(0.01)
    (tmp_path / "setup.cfg").touch()
    assert make_run() == [install, cache, started]
    assert make_run() == [started]


def test_the_demo_settings_stay_out_of_the_package_defaults():
    """A known key or admin token in every deployment would be a hole: only make run reads them."""
    defaults = (REPO / "etc" / "sim.ini").read_text(encoding="utf-8")
    assert "alice-key-0001" not in defaults and "my-admin-token" not in defaults
    demo = (REPO / "etc" / "demo.ini").read_text(encoding="utf-8")
    assert "api_key = alice-key-0001" in demo and "admin_token = my-admin-token" in demo
    assert "etc/demo.ini" not in (REPO / "etc" / "exchangesim.service").read_text(encoding="utf-8")


# -- the blocks aimed at make run's daemon ----------------------------------------------------------


@needs_make
@pytest.mark.parametrize("code", for_make_run("python"))
def test_every_python_block_for_make_run_runs_against_make_runs_configuration(code, daemon, tmp_path):
    run_against(code, daemon, tmp_path)
    usd, orders = default_account_state(daemon.base_url)
    assert (Decimal(usd["locked"]), orders) == (0, [])  # what a block placed, it canceled


@needs_make
def test_the_rest_client_snippet_places_a_bid_locks_its_quote_and_cancels_it(daemon, tmp_path):
    output = run_against(snippet("client-rest"), daemon, tmp_path)
    match = REST_OUTPUT.fullmatch(output)
    assert match and match[3] == "NEW", output
    # the default balance is USD:100000; the resting bid locks 0.5 x 49000
    assert (Decimal(match[4]), Decimal(match[5])) == (Decimal("75500"), Decimal("24500"))
    usd, orders = default_account_state(daemon.base_url)
    assert (Decimal(usd["available"]), Decimal(usd["locked"])) == (Decimal("100000"), 0)
    assert orders == []


@needs_make
def test_the_websocket_client_snippet_receives_the_snapshot_then_the_next_move(daemon, tmp_path):
    output = run_against(snippet("client-ws"), daemon, tmp_path)
    lines = [line.split(" ") for line in output.splitlines()]
    assert len(lines) == 2, output
    (channel, seq, _, _), (next_channel, next_seq, next_best_bid, _) = lines
    assert channel == next_channel == "TICKER"
    assert int(next_seq) == int(seq) + 1
    # the snippet's bid at 49500 is the best bid, or a better one is
    assert next_best_bid != "None" and Decimal(next_best_bid) >= Decimal("49500"), output
    usd, orders = default_account_state(daemon.base_url)
    assert Decimal(usd["locked"]) == 0
    assert orders == []


@needs_make
def test_on_an_empty_book_the_websocket_client_snippet_prints_what_the_readme_says(tmp_path):
    with make_run(tmp_path / "daemon", "[liquidity]", "enabled = false") as daemon:
        output = run_against(snippet("client-ws"), daemon, tmp_path)
    assert output == "TICKER 0 None 50000.00\nTICKER 1 49500.00 50000.00\n"
    assert "it prints `TICKER 0 None 50000.00`, then `TICKER 1 49500.00 50000.00`" in " ".join(README.split())


CURL = r"""
set -e
calls=0
curl() {
    calls=$((calls + 1))
    local status
    status=$(command curl --silent --show-error --max-time 30 -o /dev/null -D "$HEADERS/$calls" \
        -w '%{http_code}' "$@")
    printf '%s %s\n' "$status" "$*" >> "$HEADERS/calls"
    case "$status" in
        2??|404|409) ;;  # 404, 409: an example naming something that need not exist, or exist already
        *) echo "curl $* was answered $status" >&2; return 1 ;;
    esac
}
"""


@needs_make
def test_every_curl_command_for_make_run_runs_in_order_against_make_runs_configuration(tmp_path):
    """The curl blocks build on each other ($T, $F): one shell runs them all, in the README's order.
    A 400, 401 (a wrong admin token: make run's is etc/demo.ini's), 403 or 5xx fails it."""
    headers = tmp_path / "headers"
    headers.mkdir()
    script = CURL + "".join(f"\necho '### {name}'\n{text}" for name, text in blocks("bash") if "curl" in text)
    assert script.count("### ") >= 4  # health, the market, conditions, faults
    with make_run(tmp_path / "daemon") as daemon:
        ran = subprocess.run(
            ["bash", "-c", script.replace(MAKE_RUN_ADDRESS, f"127.0.0.1:{daemon.port}")],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "HEADERS": str(headers)},
        )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    calls = (headers / "calls").read_text().splitlines()
    assert len(calls) >= 20, calls
    # the README's header fault, sent while make run has allow_header_control = false, is told so
    (number,) = [n for n, call in enumerate(calls, 1) if "X-Sim-Fault-Mode: delay" in call]
    answered = (headers / str(number)).read_text().lower()
    assert "x-sim-fault-ignored: [failures] allow_header_control = false" in answered


@needs_make
def test_make_scenarios_passes_against_make_run_and_leaves_no_account_behind(tmp_path):
    with make_run(tmp_path / "daemon") as daemon:
        ran = subprocess.run(
            ["make", "--silent", f"--assume-old={RUN_STAMP}", "scenarios", f"PORT={daemon.port}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "scenarios passed" in ran.stdout
        request = urllib.request.Request(
            f"{daemon.base_url}/api/v1/admin/accounts", headers={"X-Admin-Token": "my-admin-token"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            names = [account["name"] for account in json.load(response)["accounts"]]
    assert [name for name in names if name.startswith("cli-")] == []
    assert "make scenarios" in README


# -- saved state --------------------------------------------------------------------------------------


@needs_make
def test_after_a_flash_crash_make_run_resumes_the_crashed_market_and_fresh_starts_a_new_one(tmp_path):
    """The README's flash crash, then its client snippet on the saved market (it fills, and does not
    fail), a new account added to the configuration, and make run FRESH=1 (the old state kept aside)."""
    workdir = tmp_path / "daemon"
    (market_block,) = [text for _, text in blocks("bash") if "market/jump" in text]
    with make_run(workdir) as daemon:
        crash = market_block.replace(MAKE_RUN_ADDRESS, f"127.0.0.1:{daemon.port}")
        subprocess.run(["bash", "-c", crash], check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + 60
        while Decimal(ticker(daemon)["best_ask"] or "50000") > Decimal("48000"):  # the crash lands
            assert time.monotonic() < deadline, ticker(daemon)
            time.sleep(0.1)

    with make_run(workdir, "[account:carol]", "api_key = carol-key-0001") as daemon:  # state resumed
        assert "the configuration adds [account:carol] on top of the saved state" in daemon.output
        assert Decimal(ticker(daemon)["best_ask"]) < Decimal("49000")
        match = REST_OUTPUT.fullmatch(run_against(snippet("client-rest"), daemon, tmp_path))
        assert match and match[3] == "FILLED", match  # bought at once, and no 409 for the cancel

    with make_run(workdir, "[account:carol]", "api_key = carol-key-0001", variables=["FRESH=1"]) as daemon:
        assert "--fresh: moved the saved state aside to" in daemon.output
        match = REST_OUTPUT.fullmatch(run_against(snippet("client-rest"), daemon, tmp_path))
        assert match and (match[3], match[4], match[5]) == ("NEW", "75500", "24500"), match
    (aside,) = [path for path in workdir.iterdir() if path.name.startswith("exchangesim-data.")]
    assert any(path.name.startswith("snapshot-") for path in aside.iterdir())  # kept, not deleted


# -- running it inside your own process -----------------------------------------------------------


def test_the_twisted_embedding_snippet_serves_and_leaves_no_state_behind(tmp_path):
    output = run(snippet("embed-twisted"), tmp_path)
    assert re.fullmatch(r"serving on http://127\.0\.0\.1:\d+\n", output)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["snippet.py"]


def test_the_asyncio_embedding_snippet_answers_health_and_leaves_no_state_behind(tmp_path):
    output = run(snippet("embed-asyncio"), tmp_path)
    assert json.loads(output)["status"] == "ok"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["snippet.py"]


# -- errors ---------------------------------------------------------------------------------------------


def test_the_configuration_errors_are_the_readmes(tmp_path):
    shown = snippet("config-errors", "")
    command, *expected = shown.strip().splitlines()
    assert command == "$ twistd -n exchangesim --config etc/mine.ini --config config.json"
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "mine.ini").write_text("[exchange]\nSeed = -3\n\n[exchnage]\n", encoding="utf-8")
    (tmp_path / "config.json").write_text('{\n  "server": {\n    "port": "8765"\n  }\n}\n', encoding="utf-8")
    result = run_twistd(tmp_path, "--config", "etc/mine.ini", "--config", "config.json")
    assert result.returncode == CONFIG_ERROR_EXIT
    assert result.stderr.splitlines() == expected


def test_the_in_memory_trial_snippet_passes_under_trial(tmp_path):
    (tmp_path / "test_memory_snippet.py").write_text(snippet("memory-trial"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "twisted.trial", "test_memory_snippet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "PASSED (successes=1)" in result.stdout, result.stdout + result.stderr
    assert len(snippet("memory-trial").strip().splitlines()) <= 16  # the 15-line example it promises
