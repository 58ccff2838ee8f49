"""``ccxt_config``: no URL of stock ccxt's Binance, sync, async or ccxt.pro, leaves the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ccxt
import ccxt.async_support
import ccxt.pro
import pytest

from exchangesim.client import ccxt_config

BASE = "http://127.0.0.1:8765"
WS = "ws://127.0.0.1:8765"


def urls_in(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every (key path, URL) in ``value``, a URL or a dict of them at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from urls_in(item, f"{where}/{key}")
    elif isinstance(value, str):
        yield where, value


@pytest.mark.parametrize("flavour", [ccxt, ccxt.async_support, ccxt.pro], ids=["sync", "async", "pro"])
def test_no_url_of_the_configured_exchange_leaves_the_simulator(flavour):
    exchange = flavour.binance(ccxt_config(BASE, "key", "secret"))
    found = list(urls_in(exchange.urls["api"]))
    assert len(found) >= 20  # sapi, fapi, dapi, eapi, papi, public, private, ... (and ws for pro)
    for where, url in found:
        assert url.startswith((BASE + "/", WS + "/")), (where, url)
    assert exchange.urls["api"]["public"] == exchange.urls["api"]["private"] == f"{BASE}/api/v3"
    assert exchange.urls["api"]["sapi"] == f"{BASE}/sapi/v1"
    assert exchange.urls["api"]["v1"] == f"{BASE}/api/v3"  # /api/v1 is the native API here
    if flavour is ccxt.pro:
        ws = exchange.urls["api"]["ws"]
        assert (ws["spot"], ws["ws-api"]["spot"]) == (f"{WS}/ws", f"{WS}/ws-api/v3")


def test_sandbox_and_demo_modes_stay_on_the_simulator_too():
    config = ccxt_config(BASE)
    for name in ("test", "demo"):
        for where, url in urls_in(config["urls"][name]):
            assert url.startswith((BASE + "/", WS + "/")), (name, where, url)
    exchange = ccxt.pro.binance(config)
    exchange.set_sandbox_mode(True)
    for where, url in urls_in(exchange.urls["api"]):
        assert url.startswith((BASE + "/", WS + "/")), (where, url)


def test_keys_options_and_https():
    config = ccxt_config("https://sim.example:9443/", "k", "s", fetchOpenOrders={"warnWithoutSymbol": False})
    assert (config["apiKey"], config["secret"]) == ("k", "s")
    assert config["options"] == {
        "fetchCurrencies": False,
        "fetchMarkets": {"types": ["spot"]},
        "fetchMargins": False,
        "fetchOpenOrders": {"warnWithoutSymbol": False},
    }
    assert config["urls"]["api"]["ws"]["spot"] == "wss://sim.example:9443/ws"
    assert "apiKey" not in ccxt_config(BASE)
    with pytest.raises(ValueError):
        ccxt_config("127.0.0.1:8765")
