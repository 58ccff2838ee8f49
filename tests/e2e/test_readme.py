"""The README's snippets run as written and print what they promise."""

import asyncio
import contextlib
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from exchangesim.client import ExchangeClient

from .daemon import Daemon

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
MAKE_RUN_URL = "http://127.0.0.1:8765"


def snippet(name):
    match = re.search(rf"<!-- snippet: {name} -->\n```python\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no snippet {name}"
    return match.group(1)


def run(code, tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_against(name, daemon, tmp_path):
    """Run a client snippet written for ``make run`` against ``daemon``: only its base URL changes."""
    code = snippet(name)
    assert MAKE_RUN_URL in code, f"snippet {name} does not talk to {MAKE_RUN_URL}"
    return run(code.replace(MAKE_RUN_URL, daemon.base_url), tmp_path)


@contextlib.contextmanager
def make_run(tmp_path, *settings):
    """The daemon as ``make run`` starts it (etc/sim.ini, then ``settings`` INI lines), on a free port."""
    workdir = tmp_path / "daemon"
    workdir.mkdir()
    configs = ["--config", str(REPO / "etc" / "sim.ini")]
    if settings:
        (workdir / "more.ini").write_text("\n".join(settings) + "\n", encoding="utf-8")
        configs += ["--config", str(workdir / "more.ini")]
    daemon = Daemon(workdir, *configs)
    try:
        yield daemon
    finally:
        daemon.stop()
    assert "Traceback (most recent call last)" not in daemon.output, daemon.output


@pytest.fixture
def daemon(tmp_path):
    with make_run(tmp_path) as daemon:
        yield daemon


def default_account_state(base_url):
    """The default account's USD balance and its open orders, as a fresh client sees them."""

    async def read():
        async with ExchangeClient(base_url) as client:
            balance = await client.get_balance()
            orders = await client.get_open_orders()
        return balance["balances"]["USD"], orders["orders"]

    return asyncio.run(asyncio.wait_for(read(), 30))


def test_the_twisted_embedding_snippet_serves(tmp_path):
    output = run(snippet("embed-twisted"), tmp_path)
    assert re.fullmatch(r"serving on http://127\.0\.0\.1:\d+\n", output)


def test_the_asyncio_embedding_snippet_answers_health(tmp_path):
    output = run(snippet("embed-asyncio"), tmp_path)
    assert json.loads(output)["status"] == "ok"


# The client snippets hold on a quiet book and on one the market's agents trade on: their checks do too.


def test_the_rest_client_snippet_places_a_bid_locks_its_quote_and_cancels_it(daemon, tmp_path):
    output = run_against("client-rest", daemon, tmp_path)
    match = re.fullmatch(
        r"last price (None|\d+\.\d{2})\norder (\d+) NEW\nUSD available (\S+) locked (\S+)\n", output
    )
    assert match, output
    # the default balance is USD:100000; the resting bid locks 0.5 x 49000
    assert (Decimal(match[3]), Decimal(match[4])) == (Decimal("75500"), Decimal("24500"))
    usd, orders = default_account_state(daemon.base_url)
    assert (Decimal(usd["available"]), Decimal(usd["locked"])) == (Decimal("100000"), 0)
    assert orders == []


def test_the_websocket_client_snippet_receives_the_snapshot_then_the_next_move(daemon, tmp_path):
    output = run_against("client-ws", daemon, tmp_path)
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


def test_on_an_empty_book_the_websocket_client_snippet_prints_what_the_readme_says(tmp_path):
    with make_run(tmp_path, "[liquidity]", "enabled = false") as daemon:
        output = run_against("client-ws", daemon, tmp_path)
    assert output == "TICKER 0 None 50000.00\nTICKER 1 49500.00 50000.00\n"
    assert "it prints `TICKER 0 None 50000.00`, then `TICKER 1 49500.00 50000.00`" in " ".join(README.split())
