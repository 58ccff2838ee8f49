"""The facade's commands: every rejection reason leaves everything unchanged; ownership; listeners."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchangesim.engine import (
    BalanceChanged,
    BalanceTransferred,
    BookLevelChanged,
    EngineError,
    ErrorCode,
    Exchange,
    FeeTier,
    Instrument,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    parse_amount,
)

from .conftest import BTC, ETH, Desk


def rejected(desk: Desk, command, code: str, field: str | None = None) -> EngineError:
    """Run a command that must be refused with ``code``; check that nothing changed."""
    before = desk.fingerprint()
    with pytest.raises(EngineError) as caught:
        command()
    assert caught.value.code == code, caught.value
    if field is not None:
        assert caught.value.field == field
    assert desk.fingerprint() == before
    return caught.value


@pytest.fixture
def busy(desk: Desk) -> Desk:
    """A desk with a few resting orders on both sides and one trade done."""
    desk.limit("alice", "BUY", "1", "49000")
    desk.limit("alice", "BUY", "2", "48000")
    desk.limit("bob", "SELL", "1", "51000")
    desk.limit("bob", "SELL", "0.5", "50000")
    desk.place("carol", "BUY", "MARKET", "0.1")
    return desk


PLACE_REJECTIONS = [
    # (account, symbol, side, type, quantity, price, extra, code, field)
    ("mallory", BTC, "BUY", "LIMIT", 1000, 5_000_000, {}, ErrorCode.UNKNOWN_ACCOUNT, "account"),
    (None, BTC, "BUY", "LIMIT", 1000, 5_000_000, {}, ErrorCode.UNKNOWN_ACCOUNT, "account"),
    ("alice", "BTC/EUR", "BUY", "LIMIT", 1000, 5_000_000, {}, ErrorCode.UNKNOWN_SYMBOL, "symbol"),
    ("alice", ["BTC/USD"], "BUY", "LIMIT", 1000, 5_000_000, {}, ErrorCode.UNKNOWN_SYMBOL, "symbol"),
    ("alice", BTC, "buy", "LIMIT", 1000, 5_000_000, {}, ErrorCode.INVALID_ENUM, "side"),
    ("alice", BTC, None, "LIMIT", 1000, 5_000_000, {}, ErrorCode.INVALID_ENUM, "side"),
    ("alice", BTC, "BUY", "STOP", 1000, 5_000_000, {}, ErrorCode.INVALID_ENUM, "type"),
    (
        "alice",
        BTC,
        "BUY",
        "LIMIT",
        1000,
        5_000_000,
        {"time_in_force": "GTD"},
        ErrorCode.INVALID_ENUM,
        "time_in_force",
    ),
    ("alice", BTC, "BUY", "LIMIT", 1000, 5_000_000, {"stp": "YES"}, ErrorCode.INVALID_ENUM, "stp"),
    ("alice", BTC, "BUY", "LIMIT", 1000, 50000.0, {}, ErrorCode.INVALID_NUMBER, "price"),
    ("alice", BTC, "BUY", "LIMIT", 1000, Decimal("50000"), {}, ErrorCode.INVALID_NUMBER, "price"),
    ("alice", BTC, "BUY", "LIMIT", 1000, "50000", {}, ErrorCode.INVALID_NUMBER, "price"),
    ("alice", BTC, "BUY", "LIMIT", 1000, 0, {}, ErrorCode.NOT_POSITIVE, "price"),
    ("alice", BTC, "BUY", "LIMIT", 1000, -5, {}, ErrorCode.NOT_POSITIVE, "price"),
    ("alice", BTC, "BUY", "LIMIT", 1000, 10**30, {}, ErrorCode.VALUE_TOO_LARGE, "price"),
    ("alice", BTC, "BUY", "LIMIT", 0, 5_000_000, {}, ErrorCode.NOT_POSITIVE, "quantity"),
    ("alice", BTC, "BUY", "LIMIT", -1, 5_000_000, {}, ErrorCode.NOT_POSITIVE, "quantity"),
    ("alice", BTC, "BUY", "LIMIT", True, 5_000_000, {}, ErrorCode.INVALID_NUMBER, "quantity"),
    ("alice", BTC, "BUY", "LIMIT", 0.5, 5_000_000, {}, ErrorCode.INVALID_NUMBER, "quantity"),
    ("alice", BTC, "BUY", "LIMIT", 10**30, 5_000_000, {}, ErrorCode.QUANTITY_TOO_LARGE, "quantity"),
    ("alice", BTC, "BUY", "LIMIT", 1, 100, {}, ErrorCode.NOTIONAL_TOO_SMALL, "quantity"),
    ("alice", BTC, "BUY", "LIMIT", 1000, None, {}, ErrorCode.MISSING_FIELD, "price"),
    ("alice", BTC, "BUY", "LIMIT", None, 5_000_000, {}, ErrorCode.MISSING_FIELD, "quantity"),
    (
        "alice",
        BTC,
        "BUY",
        "LIMIT",
        1000,
        5_000_000,
        {"stop_price": 4_000_000},
        ErrorCode.FIELD_NOT_ALLOWED,
        "stop_price",
    ),
    (
        "alice",
        BTC,
        "BUY",
        "LIMIT",
        1000,
        5_000_000,
        {"quote_quantity": 10**18},
        ErrorCode.FIELD_NOT_ALLOWED,
        "quote_quantity",
    ),
    ("alice", BTC, "BUY", "MARKET", 1000, 5_000_000, {}, ErrorCode.FIELD_NOT_ALLOWED, "price"),
    (
        "alice",
        BTC,
        "BUY",
        "MARKET",
        1000,
        None,
        {"time_in_force": "IOC"},
        ErrorCode.FIELD_NOT_ALLOWED,
        "time_in_force",
    ),
    ("alice", BTC, "BUY", "MARKET", None, None, {}, ErrorCode.MISSING_FIELD, "quantity"),
    (
        "alice",
        BTC,
        "BUY",
        "MARKET",
        1000,
        None,
        {"quote_quantity": 10**18},
        ErrorCode.FIELD_NOT_ALLOWED,
        "quantity",
    ),
    (
        "alice",
        BTC,
        "SELL",
        "MARKET",
        None,
        None,
        {"quote_quantity": 10**18},
        ErrorCode.FIELD_NOT_ALLOWED,
        "quote_quantity",
    ),
    (
        "alice",
        BTC,
        "BUY",
        "MARKET",
        None,
        None,
        {"quote_quantity": 0},
        ErrorCode.NOT_POSITIVE,
        "quote_quantity",
    ),
    (
        "alice",
        BTC,
        "BUY",
        "MARKET",
        None,
        None,
        {"quote_quantity": 10},
        ErrorCode.NOTIONAL_TOO_SMALL,
        "quote_quantity",
    ),
    (
        "alice",
        BTC,
        "BUY",
        "LIMIT_MAKER",
        1000,
        5_000_000,
        {"time_in_force": "GTC"},
        ErrorCode.FIELD_NOT_ALLOWED,
        "time_in_force",
    ),
    ("alice", BTC, "SELL", "STOP_LOSS", 1000, None, {}, ErrorCode.MISSING_FIELD, "stop_price"),
    ("alice", BTC, "SELL", "STOP_LOSS", 1000, None, {"stop_price": 0}, ErrorCode.NOT_POSITIVE, "stop_price"),
    (
        "alice",
        BTC,
        "SELL",
        "STOP_LOSS_LIMIT",
        1000,
        None,
        {"stop_price": 4_000_000},
        ErrorCode.MISSING_FIELD,
        "price",
    ),
    (
        "alice",
        BTC,
        "BUY",
        "LIMIT",
        1000,
        5_000_000,
        {"client_order_id": "has space"},
        ErrorCode.INVALID_CLIENT_ORDER_ID,
        "client_order_id",
    ),
    (
        "alice",
        BTC,
        "BUY",
        "LIMIT",
        1000,
        5_000_000,
        {"client_order_id": "x" * 37},
        ErrorCode.INVALID_CLIENT_ORDER_ID,
        "client_order_id",
    ),
    (
        "alice",
        BTC,
        "BUY",
        "LIMIT",
        1000,
        5_000_000,
        {"client_order_id": 7},
        ErrorCode.INVALID_CLIENT_ORDER_ID,
        "client_order_id",
    ),
    ("alice", BTC, "BUY", "LIMIT", 10**8, 5_000_000, {}, ErrorCode.INSUFFICIENT_BALANCE, "quantity"),
    ("alice", BTC, "SELL", "LIMIT", 101_000, 5_000_000, {}, ErrorCode.INSUFFICIENT_BALANCE, "quantity"),
    ("alice", BTC, "SELL", "MARKET", 101_000, None, {}, ErrorCode.INSUFFICIENT_BALANCE, "quantity"),
    (
        "alice",
        BTC,
        "BUY",
        "MARKET",
        None,
        None,
        {"quote_quantity": parse_amount("2000000")},
        ErrorCode.INSUFFICIENT_BALANCE,
        "quote_quantity",
    ),
    ("alice", BTC, "BUY", "LIMIT_MAKER", 1000, 5_000_000, {}, ErrorCode.WOULD_TAKE, "price"),
    (
        "alice",
        BTC,
        "SELL",
        "STOP_LOSS",
        1000,
        None,
        {"stop_price": 5_100_000},
        ErrorCode.WOULD_TRIGGER_IMMEDIATELY,
        "stop_price",
    ),
    (
        "alice",
        BTC,
        "BUY",
        "TAKE_PROFIT",
        1000,
        None,
        {"stop_price": 5_100_000},
        ErrorCode.WOULD_TRIGGER_IMMEDIATELY,
        "stop_price",
    ),
    ("alice", BTC, "BUY", "LIMIT", 1000, 5_000_000, {"ts": -1}, ErrorCode.INVALID_TIMESTAMP, "ts"),
    ("alice", BTC, "BUY", "LIMIT", 1000, 5_000_000, {"ts": 1.5}, ErrorCode.INVALID_TIMESTAMP, "ts"),
]


@pytest.mark.parametrize(
    ("account", "symbol", "side", "order_type", "quantity", "price", "extra", "code", "field"),
    PLACE_REJECTIONS,
)
def test_place_rejections_change_nothing(
    busy, account, symbol, side, order_type, quantity, price, extra, code, field
):
    published = []
    busy.x.subscribe(lambda result: published.append(result.events))
    kwargs = {"ts": busy.now(), **extra}
    rejected(
        busy, lambda: busy.x.place(account, symbol, side, order_type, quantity, price, **kwargs), code, field
    )
    (event,) = published[0]
    assert isinstance(event, OrderRejected) and event.code == code and event.field == field


def test_market_buy_with_no_quote_is_refused(busy):
    busy.x.withdraw("carol", "USD", busy.x.balances("carol")["USD"].available, ts=busy.now())
    rejected(busy, lambda: busy.place("carol", "BUY", "MARKET", "0.1"), ErrorCode.INSUFFICIENT_BALANCE)


def test_duplicate_client_order_id_names_the_existing_order(busy):
    first = busy.limit("alice", "BUY", "1", "40000", client_order_id="mine-1")
    error = rejected(
        busy,
        lambda: busy.limit("alice", "BUY", "1", "41000", client_order_id="mine-1"),
        ErrorCode.DUPLICATE_CLIENT_ORDER_ID,
        "client_order_id",
    )
    assert error.order_id == first.order_id
    busy.x.cancel("alice", first.order_id, ts=busy.now())
    error = rejected(
        busy,
        lambda: busy.limit("alice", "BUY", "1", "41000", client_order_id="mine-1"),
        ErrorCode.DUPLICATE_CLIENT_ORDER_ID,
    )  # recently closed ones count too
    assert error.order_id == first.order_id
    assert (
        busy.limit("bob", "BUY", "1", "41000", client_order_id="mine-1").order.status == "NEW"
    )  # per account


def test_cancel_rejections_change_nothing(busy):
    mine = busy.limit("alice", "BUY", "1", "40000")
    x = busy.x
    rejected(busy, lambda: x.cancel("bob", mine.order_id, ts=busy.now()), ErrorCode.UNKNOWN_ORDER, "order_id")
    rejected(busy, lambda: x.cancel("alice", 10**9, ts=busy.now()), ErrorCode.UNKNOWN_ORDER, "order_id")
    rejected(busy, lambda: x.cancel("alice", "1", ts=busy.now()), ErrorCode.UNKNOWN_ORDER, "order_id")
    rejected(
        busy,
        lambda: x.cancel("alice", client_order_id="nope", ts=busy.now()),
        ErrorCode.UNKNOWN_ORDER,
        "client_order_id",
    )
    rejected(busy, lambda: x.cancel("alice", ts=busy.now()), ErrorCode.MISSING_FIELD)
    rejected(busy, lambda: x.cancel("mallory", mine.order_id, ts=busy.now()), ErrorCode.UNKNOWN_ACCOUNT)
    rejected(busy, lambda: x.cancel("alice", mine.order_id, ts=None), ErrorCode.INVALID_TIMESTAMP)
    x.cancel("alice", mine.order_id, ts=busy.now())
    error = rejected(busy, lambda: x.cancel("alice", mine.order_id, ts=busy.now()), ErrorCode.ORDER_NOT_OPEN)
    assert error.order_id == mine.order_id


def test_replace_rejections_change_nothing(busy):
    x = busy.x
    order = busy.limit("alice", "BUY", "1", "40000")
    oid = order.order_id
    stop = busy.place("alice", "SELL", "STOP_LOSS", "1", stop="30000")
    rejected(busy, lambda: x.replace("bob", oid, quantity=500, ts=busy.now()), ErrorCode.UNKNOWN_ORDER)
    rejected(
        busy,
        lambda: x.replace("alice", stop.order_id, quantity=500, ts=busy.now()),
        ErrorCode.ORDER_NOT_AMENDABLE,
    )
    rejected(busy, lambda: x.replace("alice", oid, ts=busy.now()), ErrorCode.NOTHING_TO_AMEND)
    rejected(
        busy,
        lambda: x.replace("alice", oid, quantity=1000, price=4_000_000, ts=busy.now()),
        ErrorCode.NOTHING_TO_AMEND,
    )
    rejected(
        busy, lambda: x.replace("alice", oid, quantity=0, ts=busy.now()), ErrorCode.NOT_POSITIVE, "quantity"
    )
    rejected(
        busy,
        lambda: x.replace("alice", oid, price=4_000_000.0, ts=busy.now()),
        ErrorCode.INVALID_NUMBER,
        "price",
    )
    rejected(
        busy, lambda: x.replace("alice", oid, quantity=10**7, ts=busy.now()), ErrorCode.INSUFFICIENT_BALANCE
    )
    rejected(busy, lambda: x.replace("alice", oid, price=1, ts=busy.now()), ErrorCode.NOTIONAL_TOO_SMALL)
    maker = busy.place("alice", "BUY", "LIMIT_MAKER", "1", "40000")
    rejected(
        busy, lambda: x.replace("alice", maker.order_id, price=5_100_000, ts=busy.now()), ErrorCode.WOULD_TAKE
    )
    part = busy.limit("alice", "SELL", "1", "52000")
    busy.limit("carol", "BUY", "1.8", "52000")  # 0.4 at 50000 and 1 at 51000 from bob, then 0.4 of alice's
    assert busy.x.get_order("alice", part.order_id).filled == 400
    rejected(
        busy,
        lambda: x.replace("alice", part.order_id, quantity=400, ts=busy.now()),
        ErrorCode.QUANTITY_TOO_SMALL,
    )


def test_admin_rejections(desk):
    x = desk.x
    rejected(desk, lambda: x.open_account("alice"), ErrorCode.DUPLICATE_ACCOUNT)
    rejected(desk, lambda: x.open_account("has space"), ErrorCode.INVALID_NAME)
    rejected(desk, lambda: x.open_account(""), ErrorCode.INVALID_NAME)
    rejected(
        desk,
        lambda: x.add_instrument(Instrument(BTC, "BTC", "USD", tick_size="1", lot_size="1")),
        ErrorCode.DUPLICATE_SYMBOL,
    )
    rejected(desk, lambda: x.deposit("alice", "DOGE", 1, ts=1), ErrorCode.UNKNOWN_ASSET)
    rejected(desk, lambda: x.deposit("alice", "USD", 0, ts=1), ErrorCode.NOT_POSITIVE)
    rejected(desk, lambda: x.deposit("alice", "USD", 1.0, ts=1), ErrorCode.INVALID_NUMBER)
    rejected(desk, lambda: x.deposit("alice", "USD", 10**60, ts=1), ErrorCode.VALUE_TOO_LARGE)
    rejected(desk, lambda: x.deposit("zed", "USD", 1, ts=1), ErrorCode.UNKNOWN_ACCOUNT)
    rejected(
        desk,
        lambda: x.withdraw("alice", "USD", parse_amount("1000001"), ts=1),
        ErrorCode.INSUFFICIENT_BALANCE,
    )
    x.open_account("dave")
    rejected(desk, lambda: x.withdraw("dave", "USD", 1, ts=1), ErrorCode.INSUFFICIENT_BALANCE)


def test_deposit_and_withdraw(desk):
    x = desk.x
    result = x.withdraw("alice", "USD", parse_amount("0.5"), ts=desk.now())
    assert result.events == (
        BalanceTransferred("alice", "USD", -parse_amount("0.5")),
        BalanceChanged("alice", "USD", parse_amount("999999.5"), 0),
    )
    assert desk.balance("alice", "USD") == (Decimal("999999.5"), 0)
    result = x.deposit("alice", "USD", parse_amount("2"), ts=desk.now())
    assert result.events == (
        BalanceTransferred("alice", "USD", parse_amount("2")),
        BalanceChanged("alice", "USD", parse_amount("1000001.5"), 0),
    )


def test_accounts_never_see_each_others_orders(busy):
    order = busy.limit("alice", "BUY", "1", "40000", client_order_id="a1")
    x = busy.x
    with pytest.raises(EngineError) as caught:
        x.get_order("bob", order.order_id)
    assert caught.value.code == ErrorCode.UNKNOWN_ORDER
    with pytest.raises(EngineError):
        x.get_order_by_client_id("bob", "a1")
    assert order.order_id not in [o.order_id for o in x.open_orders("bob")]
    assert x.get_order_by_client_id("alice", "a1").order_id == order.order_id


def test_cancel_by_client_order_id_releases_the_lock(desk):
    order = desk.limit("alice", "BUY", "2", "50000", client_order_id="cid")
    assert desk.balance("alice", "USD") == (Decimal("900000"), Decimal("100000"))
    result = desk.x.cancel("alice", client_order_id="cid", ts=desk.now())
    assert result.order.status == "CANCELED" and result.order_id == order.order_id
    assert desk.balance("alice", "USD") == (Decimal("1000000"), 0)
    kinds = [type(e) for e in result.events]
    assert kinds == [BookLevelChanged, OrderCanceled, BalanceChanged, BalanceChanged]


def test_cancel_all_per_symbol(desk):
    for price in ("40000", "41000"):
        desk.limit("alice", "BUY", "1", price)
    desk.place("alice", "SELL", "STOP_LOSS", "1", stop="30000")
    eth = desk.place("alice", "BUY", "LIMIT", "1", "2000", symbol=ETH)
    other = desk.limit("bob", "BUY", "1", "40000")
    result = desk.x.cancel_all("alice", BTC, ts=desk.now())
    assert sum(isinstance(e, OrderCanceled) for e in result.events) == 3
    assert [o.order_id for o in desk.x.open_orders("alice")] == [eth.order_id]
    assert desk.x.open_orders("bob")[0].order_id == other.order_id
    assert desk.balance("alice", "BTC") == (Decimal("100"), 0)
    desk.x.cancel_all("alice", ts=desk.now())
    assert desk.x.open_orders("alice") == []
    assert desk.balance("alice", "USD") == (Decimal("1000000"), 0)


def test_subscribers_get_each_commands_events_once(desk):
    seen: list[tuple] = []

    def subscriber(result):
        seen.append(result.events)

    desk.x.subscribe(subscriber)
    result = desk.limit("alice", "BUY", "1", "50000")
    assert seen == [result.events]
    assert [type(e) for e in result.events] == [OrderAccepted, BookLevelChanged, BalanceChanged]
    desk.x.unsubscribe(subscriber)
    desk.limit("alice", "BUY", "1", "50000")
    assert len(seen) == 1


def test_events_are_built_once(desk):
    result = desk.limit("alice", "BUY", "1", "50000")
    assert result.events is result.events
    assert result.order is result.order


def test_fee_account_collects_and_is_queryable():
    x = Exchange(fee_account="house")
    assert x.fee_account == "house" and "house" in x.account_names()


def test_fee_tier_overrides_instrument_rates(desk):
    desk.x.open_account("vip", FeeTier("vip", maker_fee=Decimal("0"), taker_fee=Decimal("0.0001")))
    desk.fund("vip", "USD", "100000")
    desk.limit("bob", "SELL", "1", "50000")
    result = desk.place("vip", "BUY", "MARKET", "1")
    (trade,) = [e for e in result.events if type(e).__name__ == "Trade"]
    assert trade.taker_fee == parse_amount("0.0001")  # 1 BTC x 0.0001, in BTC
    assert trade.maker_fee == parse_amount("50")  # bob: instrument maker rate 0.001 of 50000 USD
    desk.x.set_fee_tier("bob", FeeTier("zero", Decimal(0), Decimal(0)))
    desk.limit("bob", "SELL", "1", "50000")
    result = desk.place("vip", "BUY", "MARKET", "1")
    (trade,) = [e for e in result.events if type(e).__name__ == "Trade"]
    assert trade.maker_fee == 0


def test_a_market_opens_with_a_reference_price_until_its_first_trade(desk: Desk):
    x = desk.x
    x.open_market(BTC, 5_000_000)
    assert x.last_price(BTC) == 5_000_000
    x.place("alice", BTC, "SELL", "LIMIT", 1000, 4_900_000, ts=desk.ts)
    x.place("bob", BTC, "BUY", "LIMIT", 1000, 4_900_000, ts=desk.ts)
    x.open_market(BTC, 5_000_000)  # traded: the reference no longer applies
    assert x.last_price(BTC) == 4_900_000


@pytest.mark.parametrize(
    ("symbol", "price", "code"), [("XRP/USD", 10, "UNKNOWN_SYMBOL"), (BTC, 0, "NOT_POSITIVE")]
)
def test_a_reference_price_needs_a_listed_symbol_and_a_positive_price(desk: Desk, symbol, price, code):
    rejected(desk, lambda: desk.x.open_market(symbol, price), code)
    assert desk.x.last_price(BTC) is None
