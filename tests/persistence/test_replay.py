"""The determinism promise: replaying a journal from the start reproduces the run's fills and balances."""

import csv
import os

import attrs
import pytest

from exchangesim import __version__
from exchangesim.config import AccountConfig
from exchangesim.persistence.__main__ import main
from exchangesim.persistence.replay import replay

from .support import persisted_config, run_market, start_service


def recorded_run(folder):
    """A seeded run on a memory clock: the market and its agents, plus two clients trading; returns the
    live trades and every account's balances at the end."""
    config = persisted_config(folder, snapshot_interval=0)
    config.named_accounts["bob"] = AccountConfig(api_key="bob-key-0001", api_secret="bob-secret")
    service, reactor = start_service(config)
    exchange = service.venue.exchange
    trades = []
    exchange.subscribe(lambda result: trades.extend(result.trades))
    for step in range(20):
        run_market(reactor, 2)
        ask = exchange.best_bid_ask("BTC/USD")[1]
        ts = service.venue.now_ms()
        exchange.place("bob", "BTC/USD", "SELL", "LIMIT", 5 + step, ask + 1, ts=ts)
        exchange.place("default", "BTC/USD", "BUY", "LIMIT", 3 + step, ask + 1, ts=ts)
        if step % 3 == 0:
            exchange.place("default", "ETH/USD", "SELL", "MARKET", 7, ts=ts)
        if step % 5 == 0:
            exchange.cancel_all("bob", ts=ts)
    balances = {name: exchange.balances(name) for name in exchange.account_names()}
    service.stopService()
    return [attrs.astuple(trade) for trade in trades], balances


def test_replaying_the_journal_reproduces_the_fills_and_balances(tmp_path):
    live_trades, live_balances = recorded_run(tmp_path / "data")
    assert len(live_trades) > 20
    assert {trade[8] for trade in live_trades} >= {"bob", "agent-maker"}  # makers: a client and the agent

    replayed = replay(tmp_path / "data")
    assert replayed.snapshot == 1  # from the state the run started with
    assert [attrs.astuple(trade) for trade in replayed.trades] == live_trades
    exchange = replayed.exchange
    assert {name: exchange.balances(name) for name in exchange.account_names()} == live_balances


def test_the_same_seed_runs_the_same_way(tmp_path):
    assert recorded_run(tmp_path / "one") == recorded_run(tmp_path / "two")


def test_the_replay_command_summarises_and_exports(tmp_path, capsys):
    live_trades, _ = recorded_run(tmp_path / "data")
    fills, orders = tmp_path / "fills.csv", tmp_path / "orders.csv"
    assert main(["replay", str(tmp_path / "data"), "--fills", str(fills), "--orders", str(orders)]) == 0
    printed = capsys.readouterr().out
    assert f"trades: {len(live_trades)}" in printed
    assert "bob: " in printed and "BTC/USD: " in printed
    with fills.open() as file:
        rows = list(csv.DictReader(file))
    assert [int(row["trade_id"]) for row in rows] == [trade[1] for trade in live_trades]
    assert rows[0]["price"].count(".") == 1  # decimal strings, not engine units
    with orders.open() as file:
        statuses = {row["status"] for row in csv.DictReader(file)}
    assert {"FILLED", "CANCELED"} <= statuses


def test_one_segment_replays_from_its_own_snapshot(tmp_path, capsys):
    recorded_run(tmp_path / "data")
    assert main(["replay", str(tmp_path / "data" / "journal-00000001")]) == 0
    assert "from snapshot 1 through 1 journal segment" in capsys.readouterr().out


def test_a_folder_without_state_is_an_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["replay", str(tmp_path / "empty")]) == 1
    assert "holds no snapshot or journal" in capsys.readouterr().err


def test_a_torn_last_record_is_reported_and_left_alone(tmp_path, capsys):
    recorded_run(tmp_path / "data")
    journal = tmp_path / "data" / "journal-00000002"  # the newest: the segment the stop opened
    size = journal.stat().st_size
    with journal.open("ab") as file:
        file.write(b"\x40\x00\x00\x00half")  # a record the process died writing
    assert main(["replay", str(tmp_path / "data")]) == 0
    assert "(a torn last record left out)" in capsys.readouterr().out
    assert journal.stat().st_size == size + 8  # replay reads; only the daemon repairs


def test_damage_before_newer_segments_is_an_error(tmp_path, capsys):
    recorded_run(tmp_path / "data")
    journal = tmp_path / "data" / "journal-00000001"
    os.truncate(journal, journal.stat().st_size - 3)
    assert main(["replay", str(tmp_path / "data")]) == 1
    assert "is damaged at byte" in capsys.readouterr().err


def test_orders_the_starting_snapshot_holds_are_exported_too(tmp_path):
    recorded_run(tmp_path / "data")
    exchange = replay(tmp_path / "data").exchange
    resting = {order.order_id for name in exchange.account_names() for order in exchange.open_orders(name)}
    later = replay(tmp_path / "data" / "journal-00000002")  # from the stop's snapshot: no command after it
    assert resting and resting <= set(later.orders)


def test_the_exchangesim_command_says_its_version(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"exchangesim {__version__}\n"
