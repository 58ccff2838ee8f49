"""The folder in ``fixtures/format1``, written by exchangesim at commit a6f1ec3 (the last to write journal
and snapshot format 1), and what of its engine a test compares.

It holds two snapshots and a journal segment after each (orders placed, traded, amended and canceled,
an account opened with its API key), ``sim.ini`` with the settings it was written under and, as
``expected.json``, the ``summary`` of the engine the run left. To write it again, run this module with
that commit's code::

    git worktree add /tmp/format1 a6f1ec3
    PYTHONPATH=/tmp/format1 python tests/persistence/format1_fixture.py tests/persistence/fixtures/format1
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

UNSHAPING = ("server", "failures", "persistence")
"""Sections a folder is not bound to, left out of ``sim.ini``."""


def summary(exchange: Any) -> dict[str, Any]:
    """Balances, open orders, books and fills of every account, as JSON types."""
    accounts = exchange.account_names()
    books = {}
    for instrument in exchange.instruments():
        depth = exchange.depth(instrument.symbol, 100)
        books[instrument.symbol] = {"bids": depth.bids, "asks": depth.asks, "sequence": depth.sequence}
    return json.loads(
        json.dumps(
            {
                "balances": {
                    name: {
                        asset: [view.available, view.locked]
                        for asset, view in exchange.balances(name).items()
                    }
                    for name in accounts
                },
                "open": {
                    name: [
                        [
                            o.order_id,
                            o.side,
                            o.type,
                            o.price,
                            o.quantity,
                            o.filled,
                            o.status,
                            o.client_order_id,
                        ]
                        for o in exchange.open_orders(name)
                    ]
                    for name in accounts
                },
                "books": books,
                "fills": {
                    name: [[f.trade_id, f.order_id, f.price, f.quantity, f.fee] for f in exchange.fills(name)]
                    for name in accounts
                },
            }
        )
    )


def write(out: Path) -> None:
    """Run a venue with persistence (format-1 code) and keep its folder, settings and summary in ``out``."""
    from exchangesim.api.auth import ApiKey
    from exchangesim.config import AccountConfig
    from exchangesim.persistence.fingerprint import config_shape
    from tests.persistence.support import crash, persisted_config, start_service

    work = Path(tempfile.mkdtemp()) / "data"
    config = persisted_config(work)
    config.exchange.symbols = ("BTC/USD",)
    config.liquidity.enabled = False
    config.accounts.default_balance = {"USD": Decimal("100000"), "BTC": Decimal("10")}
    config.named_accounts["alice"] = AccountConfig(
        api_key="alice-key-0001", balances={"USD": Decimal("5000"), "BTC": Decimal("2")}
    )
    service, _ = start_service(config)  # the reactor never advances: the market does not tick
    venue = service.venue
    x, now = venue.exchange, venue.now_ms
    bid = x.place("default", "BTC/USD", "BUY", "LIMIT", 150, 4_990_000, ts=now(), client_order_id="d-bid-1")
    x.place("default", "BTC/USD", "BUY", "LIMIT", 200, 4_980_000, ts=now())
    ask = x.place("alice", "BTC/USD", "SELL", "LIMIT", 120, 5_010_000, ts=now())
    x.place("alice", "BTC/USD", "SELL", "LIMIT", 100, 5_020_000, ts=now(), stp="EXPIRE_TAKER")
    x.cancel("default", bid.order_id, ts=now())
    service.services[0].snapshot()  # snapshot 2 starts segment 2
    x.place("default", "BTC/USD", "BUY", "LIMIT", 50, 5_010_000, ts=now())  # takes from alice's ask
    x.place("alice", "BTC/USD", "SELL", "MARKET", 30, ts=now())
    x.replace("alice", ask.order_id, quantity=100, ts=now())
    x.place(
        "alice", "BTC/USD", "SELL", "STOP_LOSS", 10, stop_price=4_900_000, ts=now(), client_order_id="a-stop"
    )
    x.place(
        "default",
        "BTC/USD",
        "BUY",
        "LIMIT",
        40,
        4_970_000,
        ts=now(),
        client_order_id="c1",
        client_id_scope="OPEN",
    )
    x.cancel_all("default", "BTC/USD", ts=now())
    x.place(
        "default",
        "BTC/USD",
        "BUY",
        "LIMIT",
        40,
        4_960_000,
        ts=now(),
        client_order_id="c1",
        client_id_scope="OPEN",
    )
    x.withdraw("alice", "USD", 10**18, ts=now())
    x.open_account("bob")
    venue.authenticator.register(ApiKey("bob", "bob-key-0001", "bob-secret"))
    x.deposit("bob", "USD", 250 * 10**18, ts=now())
    crash(service)
    shutil.rmtree(out, ignore_errors=True)
    (out / "data").mkdir(parents=True)
    for path in sorted(work.iterdir()):
        if path.name != "lock":
            shutil.copy(path, out / "data" / path.name)
    (out / "expected.json").write_text(json.dumps(summary(x), indent=1) + "\n")
    sections = (
        f"[{section}]\n" + "".join(f"{key} = {value}\n" for key, value in settings.items())
        for section, settings in config_shape(config).items()
        if section not in UNSHAPING
    )
    (out / "sim.ini").write_text("\n".join(sections))


if __name__ == "__main__":
    write(Path(sys.argv[1]))
