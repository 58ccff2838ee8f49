"""Stock sync ccxt 4.5.90 trades against a live daemon's /api/v3, configured as the README says
(``ccxt_config``).

Quiet markets (no agents, slow ticks), so only the test moves the book: alice quotes, bob takes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path

import ccxt
import pytest

from exchangesim.client import ccxt_config

from .daemon import Daemon

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
KEYS = {"alice": ("alice-key-0001", "alice-secret"), "bob": ("bob-key-0001", "bob-secret")}
QUIET = ["[exchange]", "tick_interval_ms = 1000", "[liquidity]", "enabled = false"]


def start_daemon(workdir, *extra: str) -> Daemon:
    lines = list(QUIET)
    for name, (key, secret) in KEYS.items():
        lines += [f"[account:{name}]", f"api_key = {key}", f"api_secret = {secret}"]
    config = workdir / "ccxt.ini"
    config.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    return Daemon(workdir, "--config", str(config))


def binance(daemon: Daemon, account: str | None = "alice", **options) -> ccxt.binance:
    """ccxt.binance configured by ``ccxt_config`` for the daemon, as the README says."""
    key, secret = KEYS[account] if account else (None, None)
    return ccxt.binance({**ccxt_config(daemon.base_url, key, secret, **options), "enableRateLimit": False})


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    daemon = start_daemon(tmp_path_factory.mktemp("ccxt"))
    yield daemon
    daemon.stop()
    assert "Traceback (most recent call last)" not in daemon.output, daemon.output


@pytest.fixture(scope="module")
def alice(daemon):
    exchange = binance(daemon)
    exchange.load_markets()
    return exchange


@pytest.fixture(scope="module")
def bob(daemon):
    exchange = binance(daemon, "bob")
    exchange.load_markets()
    return exchange


def native_balance(daemon: Daemon, key: str) -> dict:
    request = urllib.request.Request(f"{daemon.base_url}/api/v1/balance", headers={"X-API-Key": key})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["balances"]


def test_load_markets_sees_spot_markets_with_the_instruments_steps(alice):
    market = alice.market("BTC/USD")
    assert (market["id"], market["spot"], market["type"], market["active"]) == ("BTCUSD", True, "spot", True)
    assert (market["precision"]["price"], market["precision"]["amount"]) == (0.01, 0.0001)
    assert market["limits"]["cost"]["min"] == 1
    assert set(alice.symbols) == {"BTC/USD", "ETH/USD"}


def test_a_trade_shows_in_ticker_book_trades_candles_balances_and_my_trades(daemon, alice, bob):
    ask = alice.create_order("BTC/USD", "limit", "sell", 0.5, 50000)
    assert (ask["status"], ask["price"], ask["amount"]) == ("open", 50000, 0.5)
    taken = bob.create_order("BTC/USD", "market", "buy", 0.2)
    assert (taken["status"], taken["filled"], taken["average"]) == ("closed", 0.2, 50000)
    assert taken["trades"][0]["fee"] == {"cost": 0.0002, "currency": "BTC"}

    ticker = alice.fetch_ticker("BTC/USD")
    assert (ticker["last"], ticker["ask"], ticker["askVolume"], ticker["baseVolume"]) == (
        50000,
        50000,
        0.3,
        0.2,
    )
    tickers = alice.fetch_tickers(["BTC/USD", "ETH/USD"])
    assert set(tickers) == {"BTC/USD", "ETH/USD"} and tickers["BTC/USD"]["last"] == 50000
    book = alice.fetch_order_book("BTC/USD", 10)
    assert (book["asks"], book["bids"]) == ([[50000, 0.3]], [])
    assert isinstance(book["nonce"], int) and book["nonce"] > 0
    [trade] = alice.fetch_trades("BTC/USD")
    assert (trade["price"], trade["amount"], trade["side"]) == (50000, 0.2, "buy")
    candle = alice.fetch_ohlcv("BTC/USD", "1m", limit=5)[-1]
    assert candle[4] == 50000 and candle[5] == 0.2

    [mine] = alice.fetch_my_trades("BTC/USD")
    assert (mine["order"], mine["side"], mine["takerOrMaker"], mine["amount"]) == (
        ask["id"],
        "sell",
        "maker",
        0.2,
    )
    assert alice.fetch_order(ask["id"], "BTC/USD")["filled"] == 0.2

    for account, exchange in (("alice", alice), ("bob", bob)):
        seen, native = exchange.fetch_balance(), native_balance(daemon, KEYS[account][0])
        for asset, amounts in native.items():
            assert seen[asset]["free"] == float(Decimal(amounts["available"])), (account, asset)
            assert seen[asset]["used"] == float(Decimal(amounts["locked"])), (account, asset)
            assert seen[asset]["total"] == float(Decimal(amounts["total"])), (account, asset)
    alice.cancel_all_orders("BTC/USD")


def test_post_only_ioc_edit_cancel_and_cancel_all(alice, bob):
    bid = alice.create_order("BTC/USD", "limit", "buy", 0.1, 45000, {"postOnly": True})
    assert bid["status"] == "open" and bid["postOnly"]
    with pytest.raises(ccxt.InvalidOrder):
        alice.create_order("BTC/USD", "limit", "sell", 0.1, 45000, {"postOnly": True})
    ioc = bob.create_order("BTC/USD", "limit", "sell", 0.3, 45000, {"timeInForce": "IOC"})
    assert (ioc["status"], ioc["filled"], ioc["timeInForce"]) == ("expired", 0.1, "IOC")

    resting = alice.create_order("BTC/USD", "limit", "buy", 0.1, 44000)
    assert [o["id"] for o in alice.fetch_open_orders("BTC/USD")] == [resting["id"]]
    edited = alice.edit_order(resting["id"], "BTC/USD", "limit", "buy", 0.2, 44100)
    assert (edited["status"], edited["price"], edited["amount"]) == ("open", 44100, 0.2)
    assert alice.fetch_order(resting["id"], "BTC/USD")["status"] == "canceled"
    canceled = alice.cancel_order(edited["id"], "BTC/USD")
    assert canceled["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound):
        alice.cancel_order(edited["id"], "BTC/USD")
    with pytest.raises(ccxt.OrderNotFound):
        alice.fetch_order("999999", "BTC/USD")

    alice.create_order("BTC/USD", "limit", "buy", 0.1, 43000)
    alice.create_order("BTC/USD", "limit", "buy", 0.1, 43100)
    assert len(alice.fetch_open_orders("BTC/USD")) == 2
    alice.cancel_all_orders("BTC/USD")
    assert alice.fetch_open_orders("BTC/USD") == []


def test_errors_become_the_ccxt_exceptions_a_client_handles(daemon, alice):
    impostor = binance(daemon)
    impostor.secret = "not-the-secret"
    impostor.markets, impostor.symbols, impostor.markets_by_id = (
        alice.markets,
        alice.symbols,
        alice.markets_by_id,
    )
    with pytest.raises(ccxt.AuthenticationError):
        impostor.fetch_balance()
    late = binance(daemon, timeDifference=60_000)
    late.markets, late.markets_by_id = alice.markets, alice.markets_by_id
    with pytest.raises(ccxt.InvalidNonce):
        late.fetch_balance()
    with pytest.raises(ccxt.BadSymbol):
        alice.publicGetTickerPrice({"symbol": "DOGEUSD"})
    off_tick = {
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.1",
        "price": "40000.005",
    }
    with pytest.raises(ccxt.InvalidOrder, match="PRICE_FILTER"):
        alice.privatePostOrder(off_tick)
    with pytest.raises(ccxt.InvalidOrder, match="LOT_SIZE"):
        alice.privatePostOrder(off_tick | {"price": "40000.00", "quantity": "0.00001"})
    with pytest.raises(ccxt.InsufficientFunds):
        alice.create_order("BTC/USD", "limit", "buy", 100, 40000)


def test_calls_to_apis_the_daemon_does_not_serve_get_binance_404s_from_the_daemon(daemon, alice):
    """``fetch_trading_fee`` (signed GET sapi/v1/asset/tradeFee) and ``fetch_status`` reach the daemon,
    never the real venue, and its Binance error comes back as a ccxt error."""
    with pytest.raises(ccxt.OperationFailed, match="No such endpoint: /sapi/v1/asset/tradeFee"):
        alice.fetch_trading_fee("BTC/USD")
    with pytest.raises(ccxt.OperationFailed, match="No such endpoint: /sapi/v1/system/status"):
        alice.fetch_status()
    with urllib.request.urlopen(f"{daemon.base_url}/api/v3/ping", timeout=10) as response:
        assert json.load(response) == {}  # the daemon lives on
    request = urllib.request.Request(f"{daemon.base_url}/fapi/v1/exchangeInfo")
    with pytest.raises(urllib.error.HTTPError) as answered:
        urllib.request.urlopen(request, timeout=10)
    assert answered.value.code == 404
    assert json.load(answered.value) == {"code": -1000, "msg": "No such endpoint: /fapi/v1/exchangeInfo"}


@pytest.mark.parametrize("name", ["ccxt-sync", "ccxt-async"])
def test_the_readme_ccxt_snippets_run_against_the_daemon(daemon, name):
    match = re.search(rf"<!-- snippet: {name} -->\n```python\n(.*?)```", README, re.DOTALL)
    assert match, f"README has no snippet {name}"
    code = match.group(1)
    assert "http://127.0.0.1:8765" in code
    result = subprocess.run(
        [sys.executable, "-c", code.replace("http://127.0.0.1:8765", daemon.base_url)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_injected_faults_reach_ccxt_as_binances_own_errors_would(tmp_path):
    daemon = start_daemon(
        tmp_path,
        "[failures]",
        "enabled = true",
        "[failure:ticker-down]",
        "mode = error",
        "layer = rest",
        "route = GET /api/v3/ticker/24hr",
        "status = 503",
        "[failure:slow-clock]",
        "mode = throttle",
        "layer = rest",
        "route = GET /api/v3/time",
        "rate = 0.001",
        "burst = 1",
        "per = all",
    )
    try:
        exchange = binance(daemon, None)
        exchange.load_markets()
        # A 503 in Binance's words, -1001 ("unable to process your request"): what ccxt makes of it.
        with pytest.raises(ccxt.OperationFailed, match='"code":-1001'):
            exchange.fetch_ticker("BTC/USD")
        assert exchange.fetch_time() > 0
        with pytest.raises(ccxt.DDoSProtection):
            exchange.fetch_time()
        assert exchange.fetch_order_book("BTC/USD")["asks"] == []  # other routes are untouched
    finally:
        daemon.stop()
