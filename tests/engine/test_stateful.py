"""A hypothesis state machine over random commands on two symbols and several accounts.

After every step: each asset's total over all accounts (fee account included) is conserved; no
balance is negative; what is locked equals what the open orders can spend; no book is crossed;
levels keep FIFO order; book sequences rise by exactly one per BookLevelChanged event; net positions
sum to zero. A refused command must leave everything unchanged. At the end of each run, replaying the
journal (persistence) into a fresh exchange gives the live state.
"""

from __future__ import annotations

import json
from collections import defaultdict

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from exchangesim.engine import BookLevelChanged, EngineError, Exchange, Instrument, parse_amount
from exchangesim.persistence.commands import JournaledExecutor, JournalWriter
from exchangesim.persistence.recovery import replay_record

SYMBOLS = {
    "BTC/USD": Instrument(
        "BTC/USD", "BTC", "USD", tick_size="0.5", lot_size="0.01", maker_fee="0.001", taker_fee="0.002"
    ),
    "ETH/USD": Instrument(
        "ETH/USD",
        "ETH",
        "USD",
        tick_size="0.1",
        lot_size="0.1",
        min_notional="1",
        maker_fee="0.0005",
        taker_fee="0.00075",
    ),
}
MID = {"BTC/USD": 200, "ETH/USD": 100}  # in ticks
ACCOUNTS = ("a", "b", "c", "d")
FUNDING = {"USD": "5000", "BTC": "20", "ETH": "50"}
STEPS = {"count": 0}

accounts = st.sampled_from(ACCOUNTS)
symbols = st.sampled_from(sorted(SYMBOLS))
sides = st.sampled_from(("BUY", "SELL"))
stp_modes = st.sampled_from(("NONE", "NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"))


class ExchangeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.x = Exchange()
        self.journal: list[tuple] = []
        self.x.set_executor(JournaledExecutor(self.x, JournalWriter(self.journal)))
        for instrument in SYMBOLS.values():
            self.x.add_instrument(instrument)
        self.totals: dict[str, int] = defaultdict(int)
        for name in ACCOUNTS:
            self.x.open_account(name)
            for asset, amount in FUNDING.items():
                self.x.deposit(name, asset, parse_amount(amount), ts=0)
                self.totals[asset] += parse_amount(amount)
        self.ts = 1
        self.events: list = []
        self.x.subscribe(lambda result: self.events.extend(result.events))
        self.sequence = dict.fromkeys(SYMBOLS, 0)
        self.queues: dict[tuple[str, int], list[int]] = {}  # expected time priority per level
        self.moved: set[int] = set()  # orders that lost their place this step

    # -- commands ----------------------------------------------------------------------------------
    def run(self, command, *args, **kwargs):
        """Run a command; a refused one must change nothing."""
        self.ts += 1
        STEPS["count"] += 1
        before = self.fingerprint()
        try:
            return command(*args, ts=self.ts, **kwargs)
        except EngineError:
            assert self.fingerprint() == before
            return None

    @rule(
        account=accounts,
        symbol=symbols,
        side=sides,
        offset=st.integers(-6, 6),
        lots=st.integers(1, 40),
        tif=st.sampled_from((None, None, None, "IOC", "FOK")),
        stp=stp_modes,
        cid=st.one_of(st.none(), st.sampled_from(("x1", "x2", "x3"))),
    )
    def limit(self, account, symbol, side, offset, lots, tif, stp, cid):
        price = MID[symbol] + (offset if side == "SELL" else -offset)
        self.run(
            self.x.place,
            account,
            symbol,
            side,
            "LIMIT",
            lots,
            price,
            time_in_force=tif,
            stp=stp,
            client_order_id=cid,
        )

    @rule(account=accounts, symbol=symbols, side=sides, offset=st.integers(0, 6), lots=st.integers(1, 40))
    def limit_maker(self, account, symbol, side, offset, lots):
        price = MID[symbol] + (offset if side == "SELL" else -offset)
        self.run(self.x.place, account, symbol, side, "LIMIT_MAKER", lots, price)

    @rule(account=accounts, symbol=symbols, side=sides, lots=st.integers(1, 80), stp=stp_modes)
    def market(self, account, symbol, side, lots, stp):
        self.run(self.x.place, account, symbol, side, "MARKET", lots, stp=stp)

    @rule(account=accounts, symbol=symbols, usd=st.integers(1, 3000), stp=stp_modes)
    def market_by_quote(self, account, symbol, usd, stp):
        self.run(
            self.x.place, account, symbol, "BUY", "MARKET", quote_quantity=parse_amount(str(usd)), stp=stp
        )

    @rule(
        account=accounts,
        symbol=symbols,
        side=sides,
        kind=st.sampled_from(("STOP_LOSS", "TAKE_PROFIT")),
        limit=st.booleans(),
        offset=st.integers(1, 8),
        lots=st.integers(1, 20),
    )
    def stop(self, account, symbol, side, kind, limit, offset, lots):
        last = self.x.last_price(symbol) or MID[symbol]
        rising = (kind == "STOP_LOSS") == (side == "BUY")
        stop_price = last + offset if rising else max(1, last - offset)
        price = stop_price if limit else None
        self.run(
            self.x.place,
            account,
            symbol,
            side,
            kind + ("_LIMIT" if limit else ""),
            lots,
            price,
            stop_price=stop_price,
        )

    @rule(account=accounts, pick=st.integers(0, 50))
    def cancel(self, account, pick):
        orders = self.x.open_orders(account)
        order_id = orders[pick % len(orders)].order_id if orders else pick
        self.run(self.x.cancel, account, order_id)

    @rule(
        account=accounts,
        pick=st.integers(0, 50),
        lots=st.one_of(st.none(), st.integers(1, 60)),
        offset=st.one_of(st.none(), st.integers(-6, 6)),
    )
    def replace(self, account, pick, lots, offset):
        orders = [o for o in self.x.open_orders(account) if o.is_working]
        if not orders:
            return
        order = orders[pick % len(orders)]
        price = None if offset is None else MID[order.symbol] + (offset if order.side == "SELL" else -offset)
        result = self.run(self.x.replace, account, order.order_id, quantity=lots, price=price)
        if result is not None and not result.events[1].kept_priority:
            self.moved.add(order.order_id)

    @rule(account=accounts, symbol=st.one_of(st.none(), symbols))
    def cancel_all(self, account, symbol):
        self.run(self.x.cancel_all, account, symbol)

    @rule(
        account=accounts,
        asset=st.sampled_from(sorted(FUNDING)),
        amount=st.integers(1, 10**21),
        out=st.booleans(),
    )
    def move_funds(self, account, asset, amount, out):
        if self.run(self.x.withdraw if out else self.x.deposit, account, asset, amount) is not None:
            self.totals[asset] += -amount if out else amount

    # -- invariants --------------------------------------------------------------------------------
    def fingerprint(self, x: Exchange | None = None) -> tuple:
        x = self.x if x is None else x
        return (
            tuple(
                tuple(sorted((k, v.available, v.locked) for k, v in x.balances(a).items()))
                for a in x.account_names()
            ),
            tuple(tuple(x.open_orders(a)) for a in ACCOUNTS),
            tuple(x.depth(s, 1000) for s in SYMBOLS),
            tuple(x.last_price(s) for s in SYMBOLS),
        )

    @invariant()
    def assets_are_conserved_and_never_negative(self):
        totals: dict[str, int] = defaultdict(int)
        for name in self.x.account_names():
            for asset, view in self.x.balances(name).items():
                assert view.available >= 0 and view.locked >= 0, (name, view)
                totals[asset] += view.total
        assert totals == self.totals

    @invariant()
    def locked_is_what_open_orders_can_spend(self):
        expected: dict[tuple[str, str], int] = defaultdict(int)
        for name in ACCOUNTS:
            for order in self.x.open_orders(name):
                inst = SYMBOLS[order.symbol]
                buy = order.side == "BUY"
                lots = order.quantity - order.filled
                if buy and order.price is None:
                    continue  # an untriggered stop market buy locks nothing yet
                amount = order.price * lots * inst.quote_per_step if buy else lots * inst.base_per_lot
                expected[name, inst.quote if buy else inst.base] += amount
        for name in (*ACCOUNTS, self.x.fee_account):
            for asset, view in self.x.balances(name).items():
                assert view.locked == expected.get((name, asset), 0), (name, asset)

    @invariant()
    def books_are_uncrossed_fifo_and_match_the_orders(self):
        resting = {o.order_id: o for name in ACCOUNTS for o in self.x.open_orders(name) if o.is_working}
        seen: set[int] = set()
        for symbol in SYMBOLS:
            bid, ask = self.x.best_bid_ask(symbol)
            assert bid is None or ask is None or bid < ask
            depth = self.x.depth(symbol, 1000)
            for side, levels in (("BUY", depth.bids), ("SELL", depth.asks)):
                for price, lots in levels:
                    queue = self.x.level_orders(symbol, price)
                    assert sum(q for _, q in queue) == lots
                    ids = [oid for oid, _ in queue]
                    for oid, qty in queue:
                        order = resting[oid]
                        assert (order.symbol, order.side, order.price) == (symbol, side, price)
                        assert order.quantity - order.filled == qty
                    kept = [
                        oid
                        for oid in self.queues.get((symbol, price), [])
                        if oid in ids and oid not in self.moved
                    ]
                    assert ids[: len(kept)] == kept, "time priority broken"
                    self.queues[symbol, price] = ids
                    seen.update(ids)
        assert seen == set(resting)
        self.moved.clear()

    @invariant()
    def sequences_rise_by_one_per_level_change(self):
        for event in self.events:
            if isinstance(event, BookLevelChanged):
                assert event.sequence == self.sequence[event.symbol] + 1
                self.sequence[event.symbol] = event.sequence
        self.events.clear()
        for symbol in SYMBOLS:
            assert self.x.depth(symbol, 1).sequence == self.sequence[symbol]

    @invariant()
    def net_positions_sum_to_zero(self):
        for symbol in SYMBOLS:
            net = sum(p.quantity for name in ACCOUNTS for p in self.x.positions(name) if p.symbol == symbol)
            assert net == 0

    def teardown(self):
        """Replaying the journal (each record through JSON) into a fresh exchange gives the live state."""
        replayed = Exchange()
        for record in self.journal:
            replay_record(replayed, json.loads(json.dumps(record)))
        assert self.fingerprint(replayed) == self.fingerprint()
        for name in ACCOUNTS:
            assert replayed.fills(name, limit=1000) == self.x.fills(name, limit=1000)
            assert replayed.orders(name) == self.x.orders(name)
            assert replayed.positions(name) == self.x.positions(name)


def test_random_commands_keep_every_invariant():
    STEPS["count"] = 0
    run_state_machine_as_test(
        ExchangeMachine,
        settings=settings(
            max_examples=140,  # ~12,500 steps; the count shifts a little with what else was imported
            stateful_step_count=100,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert STEPS["count"] >= 10_000
