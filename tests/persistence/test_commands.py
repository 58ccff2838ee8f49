import json
from decimal import Decimal

from exchangesim.engine import (
    AddInstrument,
    CancelOrder,
    EngineError,
    Exchange,
    FeeTier,
    Instrument,
    OpenAccount,
    PlaceOrder,
    SetFeeTier,
    parse_amount,
)
from exchangesim.engine.commands import COMMANDS
from exchangesim.persistence.commands import (
    JournaledExecutor,
    JournalWriter,
    RegisterKey,
    command_of,
    record_of,
)
from exchangesim.persistence.recovery import replay_record

BTC = Instrument("BTC/USD", "BTC", "USD", tick_size="0.5", lot_size="0.01", maker_fee="0.001")


class Journaled(Exchange):
    """An exchange whose commands are journaled to the list ``journal``."""

    def __init__(self):
        super().__init__()
        self.journal = []
        self.set_executor(JournaledExecutor(self, JournalWriter(self.journal)))


def journaled():
    exchange = Journaled()
    exchange.add_instrument(BTC)
    for name in ("a", "b"):
        exchange.open_account(name)
        exchange.deposit(name, "USD", parse_amount("10000"), ts=1)
        exchange.deposit(name, "BTC", parse_amount("10"), ts=1)
    return exchange


def replayed(records):
    fresh = Exchange()
    for record in records:
        replay_record(fresh, json.loads(json.dumps(record)))
    return fresh


def state(exchange):
    return (
        {name: exchange.balances(name) for name in exchange.account_names()},
        {name: exchange.open_orders(name) for name in exchange.account_names()},
        exchange.depth("BTC/USD", 100),
        [exchange.fills(name) for name in exchange.account_names()],
    )


def test_every_command_that_changed_state_replays_to_the_same_state():
    x = journaled()
    x.open_account("vip", FeeTier("vip", Decimal("0"), Decimal("0.0005")))
    x.deposit("vip", "USD", parse_amount("500"), ts=2)
    x.set_fee_tier("a", FeeTier("t1", Decimal("0.0002"), Decimal("0.0004")))
    resting = x.place("a", "BTC/USD", "BUY", "LIMIT", 100, 200, ts=3, client_order_id="mine").order_id
    x.place("a", "BTC/USD", "BUY", "LIMIT", 50, 199, ts=3)
    x.replace("a", resting, quantity=80, ts=4)
    x.place("b", "BTC/USD", "SELL", "LIMIT", 30, 199, ts=5, time_in_force="IOC")
    x.place("b", "BTC/USD", "SELL", "STOP_LOSS", 10, stop_price=150, ts=6)
    x.cancel("a", client_order_id="mine", ts=7)
    x.withdraw("b", "USD", parse_amount("1"), ts=8)
    x.place("b", "BTC/USD", "SELL", "LIMIT", 5, 300, ts=9)
    x.cancel_all("b", "BTC/USD", ts=10)
    x.open_market("BTC/USD", 210)  # traded already: the last trade's price stays
    x.set_trading("BTC/USD", False)
    x.open_account("gone")
    x.close_account("gone")
    assert {record[0] for record in x.journal} == {command.kind for command in COMMANDS}
    assert state(replayed(x.journal)) == state(x)


def test_a_client_id_reused_under_the_open_scope_replays_and_an_older_place_record_still_does():
    x = journaled()
    first = x.place(
        "a", "BTC/USD", "BUY", "LIMIT", 10, 200, ts=3, client_order_id="c", client_id_scope="OPEN"
    )
    x.cancel("a", first.order_id, ts=4)
    x.place("a", "BTC/USD", "BUY", "LIMIT", 10, 201, ts=5, client_order_id="c", client_id_scope="OPEN")
    assert state(replayed(x.journal)) == state(x)
    older = list(journaled().journal)  # a place record written before client_id_scope was added:
    older.append(["place", "a", "BTC/USD", "BUY", "LIMIT", 10, 200, 3, None, None, None, "c", "NONE"])
    assert replayed(older).get_order_by_client_id("a", "c").price == 200


def test_refused_commands_are_not_journaled():
    x = journaled()
    before = list(x.journal)
    for refused in (
        lambda: x.place("a", "BTC/USD", "BUY", "LIMIT", 10**9, 200, ts=3),
        lambda: x.cancel("a", 999, ts=3),
        lambda: x.withdraw("a", "USD", parse_amount("99999"), ts=3),
        lambda: x.open_account("a"),
    ):
        try:
            refused()
        except EngineError:
            pass
        else:
            raise AssertionError("the command should have been refused")
    assert x.journal == before


def test_api_keys_replay_to_the_given_callback():
    keys = []
    replay_record(Exchange(), ["register_key", "a", "key-1", "secret"], lambda *key: keys.append(key))
    assert keys == [("a", "key-1", "secret")]


def test_a_command_a_subscriber_issues_is_journaled_after_the_one_it_reacts_to():
    x = journaled()
    x.place("a", "BTC/USD", "BUY", "LIMIT", 10, 200, ts=2)

    def rest_again(result):  # a market maker requoting when its order trades
        if result.trades:
            x.place("a", "BTC/USD", "BUY", "LIMIT", 10, 199, ts=3)

    x.subscribe(rest_again)
    x.place("b", "BTC/USD", "SELL", "MARKET", 10, ts=3)
    assert [record[:3] for record in x.journal[-2:]] == [("place", "b", "BTC/USD"), ("place", "a", "BTC/USD")]
    x.unsubscribe(rest_again)
    assert state(replayed(x.journal)) == state(x)


def test_a_command_is_journaled_even_when_a_subscriber_fails():
    x = journaled()

    def fail(result):
        raise RuntimeError("a broken listener")

    x.subscribe(fail)
    try:
        x.deposit("a", "USD", 5, ts=2)
    except RuntimeError:
        pass
    assert x.journal[-1] == ("deposit", "a", "USD", 5, 2)


def test_a_refused_place_is_not_journaled_while_subscribers_listen():
    x = journaled()
    x.subscribe(lambda result: result.events)
    before = list(x.journal)
    try:
        x.place("a", "BTC/USD", "BUY", "LIMIT", 10**9, 200, ts=3)
    except EngineError:
        pass
    assert x.journal == before


def test_cancel_all_that_cancels_nothing_is_not_journaled():
    x = journaled()
    before = list(x.journal)
    x.cancel_all("a", ts=2)
    assert x.journal == before


def test_a_record_reads_back_as_the_command_it_was_written_from():
    commands = [
        PlaceOrder(
            "a", "BTC/USD", "SELL", "STOP_LOSS_LIMIT", 3, 190, ts=5, stop_price=195, stp="EXPIRE_BOTH"
        ),
        CancelOrder("a", None, "c", 6),
        OpenAccount("vip", FeeTier("vip", Decimal("0"), Decimal("0.0005"))),
        SetFeeTier("vip", None),
        AddInstrument(BTC),
        RegisterKey("vip", "key-2", "secret"),
    ]
    for command in commands:
        assert command_of(json.loads(json.dumps(record_of(command)))) == command
