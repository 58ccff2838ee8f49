"""Crash recovery: kill -9 the daemon while orders are in flight, restart it on the same folder, and find
every acknowledged order and fill, the same money, and book sequences that go on."""

from __future__ import annotations

import re
import threading
from collections import Counter
from decimal import Decimal

from exchangesim.tap import CONFIG_ERROR_EXIT

from .daemon import Daemon, run_twistd

KEYS = {"alice": "alice-key-0001", "bob": "bob-key-00001"}
FUNDING = {"USD": Decimal("100000000"), "BTC": Decimal("1000")}
ACKNOWLEDGED_BEFORE_KILL = 120
WORKERS = 4
TERMINAL = {"FILLED", "CANCELED", "EXPIRED"}
JOURNAL_FILE_LIMIT = 60_000  # bytes per file: the start's snapshot fits, the journal soon does not


def config_text(folder) -> str:
    accounts = "".join(
        f"[account:{name}]\napi_key = {key}\nbalances = USD:{FUNDING['USD']}, BTC:{FUNDING['BTC']}\n"
        for name, key in KEYS.items()
    )
    return (
        "[exchange]\nseed = 7\ntick_interval_ms = 1000\n[liquidity]\nenabled = false\n"
        f"[persistence]\npath = {folder}\nfsync = batch\nsnapshot_interval = 0\n{accounts}"
    )


def call(daemon: Daemon, method: str, path: str, account: str | None = None, body=None):
    """A native API request that must succeed, as ``account``; its answer."""
    headers = {"X-API-Key": KEYS[account]} if account is not None else None
    status, answer = daemon.call(method, f"/api/v1{path}", body, headers)
    assert status < 300, answer
    return answer


class Load:
    """Workers placing crossing orders for alice (buys) and bob (sells) until told to stop."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.acks: list[tuple[str, dict]] = []
        self.sequences: list[int] = []
        self.stop = threading.Event()
        self.enough = threading.Event()
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._work, args=(n,)) for n in range(WORKERS)]

    def _work(self, worker: int) -> None:
        count = 0
        while not self.stop.is_set():
            count += 1
            account = "alice" if (worker + count) % 2 else "bob"
            order = {
                "symbol": "BTC/USD",
                "side": "BUY" if account == "alice" else "SELL",
                "type": "LIMIT",
                "price": f"{50000 + (count % 3)}.00",
                "quantity": f"0.{1 + count % 5}",
            }
            try:
                placed = call(self.daemon, "POST", "/orders", account, order)
                book = call(self.daemon, "GET", "/orderbook?symbol=BTC/USD") if count % 4 == 0 else None
            except OSError:
                return  # the daemon is gone: whatever was not answered was not acknowledged
            with self._lock:
                self.acks.append((account, placed))
                if book is not None:
                    self.sequences.append(book["sequence"])
                if len(self.acks) >= ACKNOWLEDGED_BEFORE_KILL:
                    self.enough.set()


def test_kill_9_mid_load_loses_nothing_acknowledged(tmp_path):
    folder = tmp_path / "data"
    ini = tmp_path / "sim.ini"
    ini.write_text(config_text(folder))
    daemon = Daemon(tmp_path, "--config", str(ini))
    load = Load(daemon)
    try:
        for thread in load.threads:
            thread.start()
        assert load.enough.wait(60), daemon.output
        daemon.process.kill()  # SIGKILL, with requests in flight
        daemon.process.wait()
    finally:
        load.stop.set()
        for thread in load.threads:
            thread.join(30)
        daemon.stop()
    acks, last_sequence = list(load.acks), max(load.sequences)
    assert any(placed["fills"] for _, placed in acks)

    again = Daemon(tmp_path, "--config", str(ini))
    try:
        replayed = re.search(r"recovered from snapshot 1 and (\d+) journal records", again.output)
        assert replayed and int(replayed.group(1)) >= len(acks), again.output  # all since the start
        for account, placed in acks:
            now = call(again, "GET", f"/orders/{placed['order_id']}", account)
            assert Decimal(now["filled_quantity"]) >= Decimal(placed["filled_quantity"]), placed
            if placed["status"] in TERMINAL:
                assert (now["status"], now["filled_quantity"]) == (
                    placed["status"],
                    placed["filled_quantity"],
                )
        fees: Counter[str] = Counter()
        for account in KEYS:
            fills = call(again, "GET", "/fills?limit=1000", account)["fills"]
            seen = {fill["trade_id"] for fill in fills}
            assert {
                fill["trade_id"] for a, placed in acks if a == account for fill in placed["fills"]
            } <= seen
            for fill in fills:
                fees[fill["fee_asset"]] += Decimal(fill["fee"])
        totals: Counter[str] = Counter(fees)
        for account in KEYS:
            for asset, balance in call(again, "GET", "/balance", account)["balances"].items():
                totals[asset] += Decimal(balance["total"])
        assert totals == Counter({asset: amount * len(KEYS) for asset, amount in FUNDING.items()})
        assert call(again, "GET", "/orderbook?symbol=BTC/USD")["sequence"] >= last_sequence
    finally:
        again.stop()


def test_a_folder_written_under_other_settings_stops_the_start_with_the_reason(tmp_path):
    folder = tmp_path / "data"
    ini = tmp_path / "sim.ini"
    ini.write_text(config_text(folder))
    Daemon(tmp_path, "--config", str(ini)).stop()
    ini.write_text(config_text(folder).replace("seed = 7", "seed = 8"))
    finished = run_twistd(tmp_path, "--config", str(ini), "--listen", "tcp:0:interface=127.0.0.1")
    assert finished.returncode == CONFIG_ERROR_EXIT  # a configuration error: restarting will not help
    assert (
        "was written under another configuration: [exchange] seed: '7' when the state was saved, '8' now"
        in finished.stdout + finished.stderr
    )


def test_a_journal_that_cannot_be_written_stops_the_daemon_with_status_74_and_loses_nothing(tmp_path):
    """A file size limit on the daemon (prlimit) fails its journal writes with EFBIG, as a full disk
    would: the command whose record failed is refused, the daemon stops in order with the status a
    supervisor restarts, and a restart without the limit recovers every acknowledged order."""
    folder = tmp_path / "data"
    config = tmp_path / "sim.ini"
    config.write_text(config_text(folder), encoding="utf-8")
    daemon = Daemon(tmp_path, "--config", str(config), wrapper=("prlimit", f"--fsize={JOURNAL_FILE_LIMIT}"))
    order = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "price": "100.00", "quantity": "0.1"}
    acknowledged, refused = [], None
    try:
        for _ in range(5000):  # a record is ~300 bytes: the limit is reached long before
            try:
                status, answer = daemon.call("POST", "/api/v1/orders", order, {"X-API-Key": KEYS["alice"]})
            except OSError:
                break  # the daemon is gone
            if status != 201:
                refused = status, answer  # the order whose record could not be written
                break
            acknowledged.append(answer["order_id"])
        assert daemon.process.wait(timeout=15) == 74, daemon.output
    finally:
        daemon.stop()
    assert acknowledged and "the journal cannot be written" in daemon.output
    assert refused is not None and refused[0] == 503, refused  # not 500 with a traceback
    assert refused[1]["error"]["code"] == "JOURNAL_UNAVAILABLE"
    assert "Traceback" not in daemon.output
    assert "exchangesim stopped" in daemon.output

    restarted = Daemon(tmp_path, "--config", str(config))
    try:
        open_orders = call(restarted, "GET", "/orders?symbol=BTC/USD", "alice")["orders"]
        assert sorted(order["order_id"] for order in open_orders) == sorted(acknowledged)
    finally:
        restarted.stop()
