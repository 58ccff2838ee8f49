"""The CLI's default mode: check that the daemon is up, then show (and open) its web dashboard."""

from __future__ import annotations

import webbrowser
from urllib.parse import urlencode

from rich.console import Console
from rich.markup import escape

from ._client import ExchangeClient
from .errors import ExchangeError

__all__ = ["dashboard_url", "open_dashboard"]


def dashboard_url(base_url: str, symbol: str) -> str:
    """The dashboard's page, showing ``symbol`` first."""
    return f"{base_url.rstrip('/')}/?{urlencode({'symbol': symbol})}"


async def open_dashboard(client: ExchangeClient, symbol: str, console: Console, *, browser: bool) -> int:
    """Print the dashboard's URL once the daemon answers; open it when asked and a browser is there."""
    try:
        health = await client.get_health()
    except ExchangeError as error:
        console.print(f"[red]exchangesim at {client.base_url} does not answer:[/] {escape(str(error))}")
        return 1
    try:
        ticker = await client.get_ticker(symbol)
    except ExchangeError as error:
        console.print(f"[red]exchangesim has no ticker for {escape(symbol)}:[/] {escape(str(error))}")
        return 1
    url = dashboard_url(client.base_url, symbol)
    console.print(
        f"exchangesim {health['version']} is up at {client.base_url} (seed {health['seed']}); "
        f"{symbol} last price {ticker['last_price']}"
    )
    console.print(f"dashboard: {url}", highlight=False)
    if browser:
        try:
            opened = webbrowser.get().open(url)
        except webbrowser.Error:
            opened = False
        if not opened:
            console.print("no browser here: open the URL above in one (--no-browser skips this attempt)")
    return 0
