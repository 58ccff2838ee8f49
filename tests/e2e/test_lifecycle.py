"""Two accounts trade through the real daemon over loopback, driven by ``ExchangeClient``.

An order's life settles both accounts to the exact decimal; the TICKER, TRADES and BOOK streams number
their messages without gaps; a BOOK snapshot plus its deltas is the book ``GET /orderbook`` reports.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchangesim.client import Conflict, ExchangeClient, NotFound

from ..asyncio_runner import asyncio_test
from .daemon import Daemon

SYMBOL = "BTC/USD"
MAKER_FEE = Decimal("0.001")
TAKER_FEE = Decimal("0.0025")
START = {"BTC": Decimal("10"), "USD": Decimal("100000")}
KEYS = {"alice": ("alice-key-0001", "alice-secret-0001"), "bob": ("bob-key-0001", "bob-secret-0001")}
WAIT = 5.0  # seconds for any one message or response
TOP = ("last_price", "best_bid", "best_ask")


def _config() -> str:
    """Two funded accounts with keys; no agents and slow ticks, so only the test moves the book."""
    lines = ["[exchange]", "tick_interval_ms = 1000", f"maker_fee = {MAKER_FEE}", f"taker_fee = {TAKER_FEE}"]
    lines += ["", "[liquidity]", "enabled = false"]
    for name, (key, secret) in KEYS.items():
        balances = ", ".join(f"{asset}:{amount}" for asset, amount in START.items())
        lines += ["", f"[account:{name}]", f"api_key = {key}", f"api_secret = {secret}"]
        lines.append(f"balances = {balances}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def daemon(tmp_path):
    config = tmp_path / "lifecycle.ini"
    config.write_text(_config(), encoding="utf-8")
    daemon = Daemon(tmp_path, "--config", str(config))
    yield daemon
    daemon.stop()
    assert "Traceback (most recent call last)" not in daemon.output, daemon.output


def client_of(daemon: Daemon, account: str | None = None) -> ExchangeClient:
    """A client acting (and signing) for ``account``; None: an anonymous watcher of market data."""
    key, secret = KEYS[account] if account else (None, None)
    return ExchangeClient(daemon.base_url, api_key=key, api_secret=secret, timeout=WAIT)


def funds(balance: dict) -> dict[str, tuple[Decimal, Decimal]]:
    """``{asset: (available, locked)}`` of BTC and USD, checking that each total adds up."""
    result = {}
    for asset in ("BTC", "USD"):
        cell = balance["balances"][asset]
        available, locked = Decimal(cell["available"]), Decimal(cell["locked"])
        assert Decimal(cell["total"]) == available + locked, cell
        result[asset] = (available, locked)
    return result


def position(positions: dict) -> dict[str, Decimal]:
    (found,) = [p for p in positions["positions"] if p["symbol"] == SYMBOL]
    names = ("quantity", "average_price", "realized_pnl", "unrealized_pnl")
    return {name: Decimal(found[name]) for name in names}


def amounts(record: dict, *names: str) -> tuple[Decimal | None, ...]:
    return tuple(None if record[name] is None else Decimal(record[name]) for name in names)


def fields(record: dict, *names: str) -> tuple:
    return tuple(record[name] for name in names)


async def receive_until(client: ExchangeClient, done) -> list[dict]:
    """WebSocket messages until ``done(messages)`` holds; each one must come within ``WAIT`` seconds."""
    messages: list[dict] = []
    while not done(messages):
        messages.append(await client.receive_ws_message(timeout=WAIT))
    return messages


def of_channel(messages: list[dict], channel: str) -> list[dict]:
    return [message for message in messages if message.get("channel") == channel]


def assert_contiguous(messages: list[dict]) -> None:
    seqs = [message["seq"] for message in messages]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs


# -- (a) an order's life ------------------------------------------------------------------------


@asyncio_test
async def test_a_partial_fill_then_a_cancel_settles_both_accounts_to_the_exact_decimal(daemon):
    async with client_of(daemon, "alice") as alice, client_of(daemon, "bob") as bob:
        (btc_usd,) = [s for s in (await alice.get_symbols())["symbols"] if s["symbol"] == SYMBOL]
        assert amounts(btc_usd, "maker_fee", "taker_fee") == (MAKER_FEE, TAKER_FEE)

        price, quantity = Decimal("50123.45"), Decimal("1.2345")
        ask_id = "alice-ask-1"
        sell = await alice.place_order(SYMBOL, "SELL", "LIMIT", quantity, price, client_order_id=ask_id)
        assert (sell["status"], sell["fills"]) == ("NEW", [])
        assert funds(await alice.get_balance()) == {
            "BTC": (START["BTC"] - quantity, quantity),
            "USD": (START["USD"], 0),
        }

        # bob bids above alice's ask for part of it: he trades at her price, she is the maker
        bought, limit = Decimal("0.4321"), Decimal("50200.00")
        buy = await bob.place_order(SYMBOL, "BUY", "LIMIT", bought, limit)
        notional = bought * price
        maker_fee = notional * MAKER_FEE  # alice receives USD and pays her fee in it
        taker_fee = bought * TAKER_FEE  # bob receives BTC and pays his fee in it
        assert buy["status"] == "FILLED"
        assert amounts(buy, "filled_quantity", "cumulative_quote", "average_price", "fee") == (
            bought,
            notional,
            price,
            taker_fee,
        )
        assert buy["fee_asset"] == "BTC"
        (taker_fill,) = buy["fills"]
        assert fields(taker_fill, "side", "liquidity", "fee_asset") == ("BUY", "TAKER", "BTC")
        assert amounts(taker_fill, "price", "quantity", "quote_quantity", "fee") == (
            price,
            bought,
            notional,
            taker_fee,
        )

        resting = await alice.get_order(sell["order_id"])
        assert resting["status"] == "PARTIALLY_FILLED"
        assert amounts(resting, "filled_quantity", "remaining_quantity", "cumulative_quote", "fee") == (
            bought,
            quantity - bought,
            notional,
            maker_fee,
        )
        assert resting["fee_asset"] == "USD"
        (maker_fill,) = (await alice.get_fills(SYMBOL))["fills"]
        assert fields(maker_fill, "trade_id", "order_id") == (taker_fill["trade_id"], sell["order_id"])
        assert fields(maker_fill, "side", "liquidity", "fee_asset") == ("SELL", "MAKER", "USD")
        assert maker_fill["client_order_id"] == ask_id
        assert amounts(maker_fill, "price", "quantity", "fee") == (price, bought, maker_fee)
        assert [fill["trade_id"] for fill in (await bob.get_fills())["fills"]] == [taker_fill["trade_id"]]

        # alice's BTC stays locked for the rest of her ask; bob's bid locked limit x quantity and released
        # what the better price left over, all at once as it filled
        alice_after_fill = {
            "BTC": (START["BTC"] - quantity, quantity - bought),
            "USD": (START["USD"] + notional - maker_fee, 0),
        }
        bob_after_fill = {
            "BTC": (START["BTC"] + bought - taker_fee, 0),
            "USD": (START["USD"] - notional, 0),
        }
        assert funds(await alice.get_balance()) == alice_after_fill
        assert funds(await bob.get_balance()) == bob_after_fill
        # positions count traded quantities gross of fees, marked to the last price (this trade's)
        assert position(await alice.get_positions()) == {
            "quantity": -bought,
            "average_price": price,
            "realized_pnl": 0,
            "unrealized_pnl": 0,
        }
        assert position(await bob.get_positions()) == {
            "quantity": bought,
            "average_price": price,
            "realized_pnl": 0,
            "unrealized_pnl": 0,
        }

        # another account's order does not exist for bob: he can neither see nor cancel it
        with pytest.raises(NotFound) as seen:
            await bob.get_order(sell["order_id"])
        assert (seen.value.status, seen.value.code) == (404, "UNKNOWN_ORDER")
        with pytest.raises(NotFound):
            await bob.get_order_by_client_id(ask_id)
        with pytest.raises(NotFound):
            await bob.cancel_order(sell["order_id"])
        with pytest.raises(NotFound):
            await bob.replace_order(sell["order_id"], quantity="0.1")
        assert (await bob.get_open_orders(SYMBOL))["orders"] == []
        assert (await bob.cancel_all_orders(SYMBOL))["canceled"] == []
        still = await alice.get_order_by_client_id(ask_id)
        assert (still["order_id"], still["status"]) == (sell["order_id"], "PARTIALLY_FILLED")
        assert amounts(still, "remaining_quantity") == (quantity - bought,)

        canceled = await alice.cancel_order(sell["order_id"])
        assert canceled["status"] == "CANCELED"
        assert amounts(canceled, "filled_quantity", "fee") == (bought, maker_fee)
        assert funds(await alice.get_balance()) == {
            "BTC": (START["BTC"] - bought, 0),
            "USD": alice_after_fill["USD"],
        }
        assert funds(await bob.get_balance()) == bob_after_fill
        assert (await alice.get_open_orders())["orders"] == []
        with pytest.raises(Conflict) as again:
            await alice.cancel_order(sell["order_id"])
        assert (again.value.status, again.value.code) == (409, "ORDER_NOT_OPEN")


# -- (b) contiguous streams -----------------------------------------------------------------------


@asyncio_test
async def test_ticker_trades_and_book_streams_rise_by_exactly_one_per_message(daemon):
    async with (
        client_of(daemon, "alice") as alice,
        client_of(daemon, "bob") as bob,
        client_of(daemon) as watcher,
    ):
        await watcher.connect_ws()
        for channel in ("TICKER", "TRADES", "BOOK"):
            ack = await watcher.subscribe(channel, SYMBOL)
            assert (ack["type"], ack["channel"], ack["symbol"]) == ("SUBSCRIBED", channel, SYMBOL)

        for price, size in (("50000", "0.3"), ("50010", "0.3"), ("50020", "0.2")):
            await alice.place_order(SYMBOL, "SELL", "LIMIT", size, price)
        await bob.place_order(SYMBOL, "BUY", "LIMIT", "0.2", "49990")
        low_bid = await bob.place_order(SYMBOL, "BUY", "LIMIT", "0.1", "49980")
        await bob.place_order(SYMBOL, "BUY", "LIMIT", "0.45", "50010")  # two trades, 50000 and 50010
        await alice.place_order(SYMBOL, "SELL", "LIMIT", "0.25", "49985")  # one trade at 49990, rests 0.05
        await bob.cancel_order(low_bid["order_id"])  # the book has no bid left

        book = await alice.get_orderbook(SYMBOL, depth=1000)
        trades = (await alice.get_trades(SYMBOL))["trades"]
        ticker = await alice.get_ticker(SYMBOL)
        assert [trade["price"] for trade in trades] == ["50000.00", "50010.00", "49990.00"]
        final_ticker = fields(ticker, *TOP)
        assert final_ticker == ("49990.00", None, "49985.00")

        def caught_up(messages):
            book_seqs = [m["seq"] for m in of_channel(messages, "BOOK")]
            trade_ids = [m["trade_id"] for m in of_channel(messages, "TRADES")]
            tickers = of_channel(messages, "TICKER")
            return (
                bool(book_seqs)
                and book_seqs[-1] >= book["sequence"]
                and trade_ids[-1:] == [trades[-1]["trade_id"]]
                and bool(tickers)
                and fields(tickers[-1], *TOP) == final_ticker
            )

        messages = await receive_until(watcher, caught_up)

    assert all(message["type"] == "MARKET_DATA" for message in messages), messages
    assert all(message["symbol"] == SYMBOL for message in messages)
    for channel in ("TICKER", "TRADES", "BOOK"):
        assert_contiguous(of_channel(messages, channel))

    book_messages = of_channel(messages, "BOOK")
    assert book_messages[0].get("snapshot") is True
    assert not any(message.get("snapshot") for message in book_messages[1:])
    assert book_messages[-1]["seq"] == book["sequence"]
    assert len(book_messages) - 1 == book["sequence"] - book_messages[0]["seq"]

    trade_messages = of_channel(messages, "TRADES")
    assert [(m["trade_id"], m["price"], m["quantity"], m["side"]) for m in trade_messages] == [
        (t["trade_id"], t["price"], t["quantity"], t["side"]) for t in trades
    ]

    # every TICKER message carries last_price: the opening reference price (the initial price) before
    # the first trade, then the latest trade's price
    tickers = of_channel(messages, "TICKER")
    assert tickers[0].get("snapshot") is True
    assert len(tickers) > 2
    last_traded = "50000.00"
    for message in messages:
        if message["channel"] == "TRADES":
            last_traded = message["price"]
        elif message["channel"] == "TICKER":
            assert "last_price" in message, message
            assert message["last_price"] == last_traded, (message, last_traded)
    assert tickers[-1]["last_price"] == "49990.00"


@asyncio_test
async def test_a_ticker_subscriber_hears_the_top_of_book_move_after_a_spell_without_subscribers(daemon):
    async with client_of(daemon, "alice") as alice, client_of(daemon) as first, client_of(daemon) as second:
        await first.connect_ws()
        await first.subscribe("TICKER", SYMBOL)
        await alice.place_order(SYMBOL, "BUY", "LIMIT", "0.1", "49000")
        await receive_until(first, lambda got: bool(got) and got[-1]["best_bid"] == "49000.00")
        await first.unsubscribe("TICKER", SYMBOL)  # nobody listens to the ticker now

        higher = await alice.place_order(SYMBOL, "BUY", "LIMIT", "0.1", "49500")
        await second.connect_ws()
        await second.subscribe("TICKER", SYMBOL)
        snapshot = await second.receive_ws_message(timeout=WAIT)
        assert (snapshot.get("snapshot"), snapshot["best_bid"]) == (True, "49500.00")

        await alice.cancel_order(higher["order_id"])  # the best bid falls back to 49000
        try:
            update = await second.receive_ws_message(timeout=WAIT)
        except TimeoutError:
            pytest.fail("no TICKER message when the best bid fell from 49500.00 (the snapshot's) to 49000.00")
        assert (update["best_bid"], update["seq"]) == ("49000.00", snapshot["seq"] + 1)
        assert fields(await alice.get_ticker(SYMBOL), *TOP) == fields(update, *TOP)


# -- (c) BOOK snapshot + deltas = GET /orderbook ----------------------------------------------------


def rebuild(book_messages: list[dict]) -> tuple[list[list[str]], list[list[str]]]:
    """The bids (best, highest, first) and asks (lowest first) of a BOOK snapshot and its deltas."""
    snapshot, *deltas = book_messages
    assert snapshot.get("snapshot") is True, snapshot
    levels = {"BUY": dict(snapshot["bids"]), "SELL": dict(snapshot["asks"])}
    for delta in deltas:
        side = levels[delta["side"]]
        if Decimal(delta["quantity"]) == 0:
            assert delta["price"] in side, f"a delta removes a level that is not there: {delta}"
            del side[delta["price"]]
        else:
            side[delta["price"]] = delta["quantity"]
    bids = sorted(levels["BUY"].items(), key=lambda level: Decimal(level[0]), reverse=True)
    asks = sorted(levels["SELL"].items(), key=lambda level: Decimal(level[0]))
    return [list(level) for level in bids], [list(level) for level in asks]


async def book_at_rest_sequence(watcher: ExchangeClient, rest: ExchangeClient, seen: list[dict]) -> tuple:
    """GET /orderbook, then the watcher's BOOK messages up to its sequence (added to ``seen``).

    Returns the REST book and the rebuilt one, both as ``(bids, asks)``.
    """
    book = await rest.get_orderbook(SYMBOL, depth=1000)
    levels = [[Decimal(price) for price, _ in side] for side in (book["bids"], book["asks"])]
    assert levels[0] == sorted(levels[0], reverse=True) and levels[1] == sorted(levels[1]), book
    seen += await receive_until(watcher, lambda got: bool(got) and got[-1]["seq"] >= book["sequence"])
    assert all(message["channel"] == "BOOK" for message in seen), seen
    assert seen[-1]["seq"] == book["sequence"], (seen[-1], book["sequence"])
    assert_contiguous(seen)
    return (book["bids"], book["asks"]), rebuild(seen)


ASKS = (("50100", "0.5"), ("50100", "0.25"), ("50050", "0.4"), ("50200", "0.3"), ("50150", "0.2"))
BIDS = (("49900", "0.3"), ("49900", "0.2"), ("49950", "0.5"), ("49800", "0.1"), ("49850", "0.25"))


def level(price: str, quantity: str) -> list[str]:
    return [f"{Decimal(price):.2f}", f"{Decimal(quantity):.4f}"]


@asyncio_test
async def test_a_book_snapshot_and_its_deltas_rebuild_the_rest_orderbook_at_the_same_sequence(daemon):
    async with (
        client_of(daemon, "alice") as alice,
        client_of(daemon, "bob") as bob,
        client_of(daemon) as early,
        client_of(daemon) as late,
    ):
        await early.connect_ws()
        await early.subscribe("BOOK", SYMBOL)
        early_seen: list[dict] = []

        # several levels on both sides, two of them holding two orders each
        asks, bids = {}, {}
        for price, size in ASKS:
            asks[price, size] = await alice.place_order(SYMBOL, "SELL", "LIMIT", size, price)
        for price, size in BIDS:
            bids[price, size] = await bob.place_order(SYMBOL, "BUY", "LIMIT", size, price)

        before, rebuilt = await book_at_rest_sequence(early, alice, early_seen)
        assert rebuilt == before
        assert before == (
            [level("49950", "0.5"), level("49900", "0.5"), level("49850", "0.25"), level("49800", "0.1")],
            [level("50050", "0.4"), level("50100", "0.75"), level("50150", "0.2"), level("50200", "0.3")],
        )

        # a second watcher joins mid-way: its snapshot is the book at the sequence it was taken at
        await late.connect_ws()
        await late.subscribe("BOOK", SYMBOL)
        late_seen: list[dict] = []
        joined_at = early_seen[-1]["seq"]

        await alice.replace_order(asks["50100", "0.25"]["order_id"], quantity="0.1")  # the level shrinks
        await bob.replace_order(bids["49800", "0.1"]["order_id"], price="49825")  # the level moves
        await bob.cancel_order(bids["49900", "0.2"]["order_id"])  # one of two orders leaves its level
        await bob.place_order(SYMBOL, "BUY", "LIMIT", "0.6", "50100")  # sweeps 50050, eats into 50100
        await alice.place_order(SYMBOL, "SELL", "LIMIT", "0.7", "49900")  # sweeps 49950, eats into 49900
        await alice.place_order(SYMBOL, "SELL", "LIMIT", "0.15", "50300")
        await alice.cancel_order(asks["50150", "0.2"]["order_id"])

        expected = (
            [level("49900", "0.1"), level("49850", "0.25"), level("49825", "0.1")],
            [level("50100", "0.4"), level("50200", "0.3"), level("50300", "0.15")],
        )
        rest, rebuilt = await book_at_rest_sequence(early, alice, early_seen)
        assert rebuilt == rest == expected
        rest, rebuilt = await book_at_rest_sequence(late, bob, late_seen)
        assert rebuilt == rest == expected
        # the late snapshot was the book as it stood when it joined, at that sequence
        assert late_seen[0]["seq"] == joined_at
        assert rebuild(late_seen[:1]) == before
