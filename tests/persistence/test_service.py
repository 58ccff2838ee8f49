import os
import stat
from decimal import Decimal

import pytest
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import capturedLogs

from exchangesim.config import AccountConfig, SymbolConfig
from exchangesim.engine import parse_amount
from exchangesim.persistence.commands import JournalFailedError
from exchangesim.persistence.directory import PersistenceError
from exchangesim.persistence.framing import frame
from exchangesim.persistence.journal import encode
from exchangesim.persistence.service import PersistenceService
from exchangesim.server import ExchangeServer

from .support import (
    START,
    admin_call,
    crash,
    engine_state,
    persisted_config,
    recover,
    run_market,
    start_service,
)


def disk_full(*args):
    """A stand-in for a write to a full disk."""
    raise OSError(28, "No space left on device")


def test_a_restart_after_a_crash_restores_everything_clients_saw(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, reactor = start_service(config)
    run_market(reactor)
    code, carol = admin_call(service, "POST", "/accounts", {"name": "carol", "balances": {"USD": "500"}})
    assert code == 201
    exchange = service.venue.exchange
    bid = exchange.best_bid_ask("BTC/USD")[0]
    exchange.place("carol", "BTC/USD", "BUY", "LIMIT", 10, bid - 100, ts=service.venue.now_ms())
    run_market(reactor, 5)
    before = engine_state(service)
    crash(service)

    again = recover(config, START + 60)
    assert engine_state(again) == before
    assert again.venue.keys.owner_of(carol["api_key"]) == "carol"


def test_sequences_and_ids_continue_after_a_restart(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, reactor = start_service(config)
    run_market(reactor)
    exchange = service.venue.exchange
    sequence = exchange.depth("BTC/USD", 0).sequence
    last_order = max(order.order_id for order in exchange.orders("agent-maker", limit=1000))
    last_trade = exchange.recent_trades("BTC/USD", 1)[0].trade_id
    service.stopService()

    again, reactor = start_service(config, START + 60)
    run_market(reactor, 5)
    exchange = again.venue.exchange
    assert exchange.depth("BTC/USD", 0).sequence > sequence
    bid = exchange.best_bid_ask("BTC/USD")[0]
    placed = exchange.place("default", "BTC/USD", "SELL", "LIMIT", 1, bid, ts=again.venue.now_ms())
    assert placed.order_id > last_order
    assert placed.trades[0].trade_id > last_trade


def test_the_market_resumes_from_the_snapshot_model_state(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, reactor = start_service(config)
    run_market(reactor)
    service.stopService()
    model = service.venue.market.markets["BTC/USD"].model
    price, next_prices = model.price, model.path(5).tolist()

    again = recover(config, START + 60)
    resumed = again.venue.market.markets["BTC/USD"].model
    assert resumed.price == price
    assert resumed.path(5).tolist() == next_prices


def test_market_time_goes_on_across_a_restart_with_a_fixed_start_time(tmp_path):
    config = persisted_config(tmp_path / "data")
    config.exchange.start_time = "2024-01-01T00:00:00Z"
    service, reactor = start_service(config)
    run_market(reactor, 5)
    last = service.venue.exchange.recent_trades("BTC/USD", 1)[0].ts
    crash(service)

    again, reactor = start_service(config, START + 60)  # the same start_time, a later wall clock
    assert again.venue.now_ms() > last
    run_market(reactor, 5)
    trades = again.venue.exchange.recent_trades("BTC/USD", 1000)
    times = [trade.ts for trade in trades]
    assert times == sorted(times) and times[-1] > last


def test_a_torn_last_record_is_dropped_and_cut_off_with_a_log_line(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, reactor = start_service(config)
    run_market(reactor)
    before = engine_state(service)
    service.venue.exchange.deposit("default", "USD", 7, ts=service.venue.now_ms())
    crash(service)
    journal = tmp_path / "data" / "journal-00000001"
    size = journal.stat().st_size
    os.truncate(journal, size - 3)  # the deposit was half written

    with capturedLogs() as events:
        again = recover(config, START + 60)
    assert engine_state(again) == before
    [torn] = [event for event in events if "torn" in event["log_format"]]
    assert torn["path"] == str(journal)
    assert journal.stat().st_size < size - 3


def test_damage_before_the_last_record_stops_the_start_rather_than_drop_records(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    now = service.venue.now_ms()
    for _ in range(2):
        service.venue.exchange.deposit("default", "USD", 7, ts=now)
    crash(service)
    journal = tmp_path / "data" / "journal-00000001"
    data = bytearray(journal.read_bytes())
    data[-len(frame(encode(("deposit", "default", "USD", 7, now)))) - 2] ^= 0x01  # in the first deposit
    journal.write_bytes(bytes(data))
    with pytest.raises(PersistenceError, match="is damaged at byte"):
        recover(config, START + 60)
    assert journal.read_bytes() == bytes(data)  # nothing cut


def test_a_damaged_snapshot_is_skipped_for_the_older_one(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, reactor = start_service(config)
    run_market(reactor)
    service.services[0].snapshot()  # snapshot 2 starts segment 2
    run_market(reactor)
    before = engine_state(service)
    crash(service)
    newest = tmp_path / "data" / "snapshot-00000002"
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    newest.write_bytes(bytes(data))

    with capturedLogs() as events:
        again = recover(config, START + 60)
    assert engine_state(again) == before
    assert any("skipping snapshot" in event["log_format"] for event in events)


def test_a_journal_of_another_configuration_is_refused(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    service.stopService()
    config.exchange.maker_fee = Decimal("0.002")
    with pytest.raises(PersistenceError, match="another configuration"):
        start_service(config)
    config.exchange.maker_fee = Decimal("0.001")
    config.server.endpoint = "tcp:9999"  # where it listens is not part of the state
    start_service(config)


def test_one_daemon_at_a_time(tmp_path):
    config = persisted_config(tmp_path / "data")
    start_service(config)
    with pytest.raises(PersistenceError, match="in use by another exchangesim process"):
        start_service(config)


def test_snapshots_on_the_clock_keep_the_two_newest(tmp_path):
    config = persisted_config(tmp_path / "data", snapshot_interval=1)
    service, reactor = start_service(config)
    for _ in range(3):
        run_market(reactor, 10)
    newest = service.services[0].directory.snapshots()[0]
    assert newest >= 3  # one at start, then one a second
    kept = [f"{kind}-{number:08d}" for kind in ("journal", "snapshot") for number in (newest - 1, newest)]
    assert sorted(os.listdir(tmp_path / "data")) == [*kept[:2], "lock", *kept[2:]]
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / kept[-1]).stat().st_mode) == 0o600
    before = engine_state(service)
    crash(service)
    again = recover(config, START + 60)
    assert engine_state(again) == before


def test_a_clean_stop_leaves_nothing_to_replay(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, reactor = start_service(config)
    run_market(reactor)
    service.stopService()
    assert service.venue.exchange.executor is None
    with capturedLogs() as events:
        recover(config, START + 60)
    [recovered] = [event for event in events if event["log_format"].startswith("recovered")]
    assert (recovered["snapshot"], recovered["records"]) == (2, 0)


def test_disabled_persistence_writes_nothing(tmp_path):
    config = persisted_config(tmp_path / "data", enabled=False)
    service, reactor = start_service(config)
    run_market(reactor)
    assert not any(isinstance(child, PersistenceService) for child in service)
    assert not (tmp_path / "data").exists()


def test_an_embedded_server_on_a_folder_in_use_fails_to_start_and_cleans_up(tmp_path):
    config = persisted_config(tmp_path / "data")
    start_service(config)
    server = ExchangeServer(config, reactor=MemoryReactorClock())
    failure = server.start()
    failures = []
    failure.addErrback(failures.append)
    [reason] = failures
    assert reason.check(PersistenceError)
    with pytest.raises(RuntimeError, match="not listening"):
        server.port  # noqa: B018 - the property raises


def test_a_failed_snapshot_leaves_the_journal_going_on(tmp_path, monkeypatch):
    config = persisted_config(tmp_path / "data", snapshot_interval=1)
    service, reactor = start_service(config)
    persistence = service.services[0]

    monkeypatch.setattr(persistence._journal, "prepare", disk_full)
    with capturedLogs() as events:
        run_market(reactor, 15)
    assert any("snapshot failed" in event["log_format"] for event in events)
    assert persistence.directory.snapshots() == [1]  # the new one was taken back
    before = engine_state(service)
    crash(service)
    again = recover(config, START + 60)
    assert engine_state(again) == before


def test_a_stop_whose_final_snapshot_fails_still_closes_the_journal_and_the_folder(tmp_path, monkeypatch):
    config = persisted_config(tmp_path / "data")
    service, reactor = start_service(config)
    run_market(reactor)
    before = engine_state(service)
    persistence = service.services[0]

    monkeypatch.setattr(persistence._journal, "prepare", disk_full)
    with pytest.raises(OSError):
        persistence.stopService()
    assert persistence.directory is None
    again = recover(config, START + 60)  # the folder is free, and the journal replays
    assert engine_state(again) == before


def test_a_record_that_cannot_be_written_stops_every_later_command(tmp_path, monkeypatch):
    config = persisted_config(tmp_path / "data")
    service, reactor = start_service(config)
    run_market(reactor)
    before = engine_state(service)
    exchange = service.venue.exchange
    persistence = service.services[0]

    monkeypatch.setattr(persistence._journal, "_write", disk_full)
    order = ("default", "BTC/USD", "BUY", "LIMIT", 100, 100_000)  # 0.01 BTC at 1000.00 USD
    with capturedLogs() as events, pytest.raises(JournalFailedError) as raised:
        exchange.place(*order, ts=1)  # in the engine, not on record: never acknowledged
    assert isinstance(raised.value.__cause__, OSError)
    assert any(event["log_level"].name == "critical" for event in events)
    with pytest.raises(JournalFailedError):  # one acknowledged now could trade against the unrecorded order
        exchange.place(*order, ts=2)
    crash(service)
    assert engine_state(recover(config, START + 60)) == before


def test_a_configuration_that_only_adds_symbols_and_accounts_resumes_on_top_of_the_saved_state(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, reactor = start_service(config)
    run_market(reactor)
    exchange = service.venue.exchange
    bid = exchange.best_bid_ask("BTC/USD")[0]
    exchange.place("default", "BTC/USD", "BUY", "LIMIT", 10, bid // 2, ts=service.venue.now_ms())
    saved = engine_state(service)
    service.stopService()

    config.exchange.symbols = ("BTC/USD", "ETH/USD", "SOL/USD")
    config.symbols["SOL/USD"] = SymbolConfig(initial_price=Decimal("150.00"))
    config.accounts.default_balance = {"USD": "100000", "BTC": "10", "ETH": "100", "SOL": "50"}
    with pytest.raises(
        PersistenceError, match=r"\[accounts\] default_balance: 'USD:100000, BTC:10, ETH:100'"
    ):
        start_service(config)  # a changed setting is refused, naming it
    config.accounts.default_balance = {"USD": "100000", "BTC": "10", "ETH": "100"}
    config.named_accounts["alice"] = AccountConfig(
        api_key="alice-key-0001", balances={"USD": "500", "SOL": "2"}
    )
    with capturedLogs() as events:
        service, reactor = start_service(config, START + 60)
    assert any(
        "the configuration adds [symbol:SOL/USD], [account:alice] on top of the saved state"
        == event["log_format"].format(**event)
        for event in events
    )
    run_market(reactor)
    resumed = service.venue.exchange
    assert [instrument.symbol for instrument in resumed.instruments()] == ["BTC/USD", "ETH/USD", "SOL/USD"]
    assert resumed.depth("SOL/USD", 1).bids  # its market runs
    assert resumed.open_orders("default") == saved["open"]["default"]  # what was saved is all there
    alice = {asset: view.available for asset, view in resumed.balances("alice").items() if view.available}
    assert alice == {"USD": parse_amount("500"), "SOL": parse_amount("2")}
    assert service.venue.keys.owner_of("alice-key-0001") == "alice"
    after = engine_state(service)
    crash(service)
    again = recover(config, START + 120)
    assert engine_state(again) == after  # added once, not again
    crash(again)
    # journaled: recovering from the snapshot before the additions adds them in their place
    newest = max((tmp_path / "data").glob("snapshot-*"))
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    newest.write_bytes(bytes(data))
    assert engine_state(recover(config, START + 120)) == after


def test_a_changed_or_removed_account_or_symbol_is_refused_naming_each_setting(tmp_path):
    config = persisted_config(tmp_path / "data")
    config.named_accounts["alice"] = AccountConfig(api_key="alice-key-0001", balances={"USD": "500"})
    start_service(config)[0].stopService()
    config.named_accounts["alice"].balances = {"USD": "600"}
    config.symbols["ETH/USD"].tick_size = Decimal("0.1")
    with pytest.raises(PersistenceError) as caught:
        start_service(config)
    message = str(caught.value)
    assert (
        "was written under another configuration: [account:alice] balances: 'USD:500' when the state"
        in message
    )
    assert "[symbol:ETH/USD] tick_size: '0.01' when the state was saved, '0.1' now" in message
    assert "start afresh with --fresh (make run FRESH=1)" in message
    config.named_accounts.pop("alice")
    config.symbols["ETH/USD"].tick_size = Decimal("0.01")
    config.exchange.symbols = ("BTC/USD",)
    with pytest.raises(PersistenceError) as caught:
        start_service(config)
    message = str(caught.value)
    assert "[account:alice] is in the saved state but not in the configuration" in message
    assert "[exchange] symbols: ETH/USD no longer listed" in message


def test_an_account_removed_at_run_time_stays_removed_after_a_restart(tmp_path):
    config = persisted_config(tmp_path / "data")
    service, _ = start_service(config)
    code, carol = admin_call(service, "POST", "/accounts", {"name": "carol", "balances": {"USD": "500"}})
    exchange = service.venue.exchange
    exchange.place("carol", "BTC/USD", "BUY", "LIMIT", 1000, 100_000, ts=service.venue.now_ms())
    service.services[0].snapshot()  # carol and her key are in the snapshot, her removal in the journal
    code, removed = admin_call(service, "DELETE", "/accounts/carol")
    assert (code, removed["canceled_orders"]) == (200, 1)
    before = engine_state(service)
    crash(service)
    again = recover(config, START + 60)
    assert "carol" not in again.venue.exchange.account_names()
    assert again.venue.keys.owner_of(carol["api_key"]) is None
    assert engine_state(again) == before
