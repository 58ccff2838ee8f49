"""The configuration of stock ccxt's ``binance`` (sync, async and ccxt.pro) that reaches the simulator only.

Overriding ``urls['api']['public']`` and ``['private']`` alone leaves every other Binance API (``sapi``,
``fapi``, ...) at the real hosts, so a ccxt method that calls one (``fetch_trading_fee``,
``fetch_status``) would send the user's key to the real venue. This points every URL ccxt knows for
Binance at the simulator instead, keeping each path: the simulator answers the APIs it does not serve
with Binance's 404 error (ccxt raises one of its errors), and nothing leaves it.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CCXT_OPTIONS", "ccxt_config"]

CCXT_OPTIONS: dict[str, Any] = {
    "fetchCurrencies": False,  # else: GET sapi/v1/capital/config/getall, which the simulator does not serve
    "fetchMarkets": {"types": ["spot"]},  # else: fapi and dapi exchangeInfo as well
    "fetchMargins": False,  # else: sapi/v1/margin/allPairs
}
"""ccxt's options that keep ``load_markets`` to what the simulator serves."""

_URL_SETS = ("api", "test", "demo")  # the live URLs, and those sandbox and demo modes switch to
_PATHS = {"/api/v1": "/api/v3"}
"""Paths moved on the way: ccxt's ``v1`` is Binance's retired ``/api/v1`` (whose routes live on under
``/api/v3``), while ``/api/v1`` here is the simulator's native API."""


def ccxt_config(
    base_url: str, api_key: str | None = None, secret: str | None = None, **options: Any
) -> dict[str, Any]:
    """The argument of ``ccxt.binance(...)`` (or its async or ccxt.pro class) for the simulator at
    ``base_url`` (``http://127.0.0.1:8765``): every REST and WebSocket URL of ccxt's Binance at it, the
    key, and ``CCXT_OPTIONS`` updated with ``options``. ccxt merges the ``urls`` into its own.

    Needs ccxt installed (the URLs are read from it, so a newer ccxt's new keys are covered too).
    """
    http = base_url.rstrip("/")
    scheme = urlsplit(http).scheme
    if scheme not in ("http", "https"):
        raise ValueError(f"base_url must be http:// or https://, got {base_url!r}")
    ws = ("wss" if scheme == "https" else "ws") + http[len(scheme) :]
    urls = _binance_urls()
    config: dict[str, Any] = {
        "options": {**CCXT_OPTIONS, **options},
        "urls": {name: _pointed(urls[name], http, ws) for name in _URL_SETS if name in urls},
    }
    if api_key is not None:
        config["apiKey"] = api_key
    if secret is not None:
        config["secret"] = secret
    return config


def _pointed(value: Any, http: str, ws: str) -> Any:
    """``value`` (a URL, or a dict of them at any depth) with each URL's scheme and host replaced."""
    if isinstance(value, dict):
        return {key: _pointed(item, http, ws) for key, item in value.items()}
    if not isinstance(value, str):
        return value
    url = urlsplit(value)
    path = _PATHS.get(url.path, url.path)
    return (ws if url.scheme in ("ws", "wss") else http) + path


@cache
def _binance_urls() -> dict[str, Any]:
    """ccxt's URLs of Binance: ccxt.pro's, which add the WebSocket ones to the REST ones."""
    try:
        import ccxt.pro as flavour
    except ImportError:  # an old ccxt without ccxt.pro
        import ccxt as flavour
    return flavour.binance().describe()["urls"]
