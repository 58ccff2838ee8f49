"""The venue built from a configuration: instruments, accounts with their keys, funds and fee tiers."""

from decimal import Decimal

from twisted.internet.task import Clock

from exchangesim.config import AccountConfig, Config, seal
from exchangesim.engine import parse_amount
from exchangesim.venue import open_venue


def venue_with(**accounts):
    config = Config()
    config.exchange.maker_fee = Decimal("0.001")
    config.exchange.taker_fee = Decimal("0.002")
    for name, account in accounts.items():
        config.named_accounts[name] = account
    return open_venue(seal(config), Clock())


def fee_of(venue, taker, maker="default"):
    """The fees (maker's in USD, taker's in BTC) of one 1 BTC trade at 50,000."""
    x, instrument = venue.exchange, venue.exchange.instrument("BTC/USD")
    lots, price = instrument.parse_quantity("1"), instrument.parse_price("50000")
    x.place(maker, "BTC/USD", "SELL", "LIMIT", lots, price, ts=1)
    (trade,) = x.place(taker, "BTC/USD", "BUY", "LIMIT", lots, price, ts=2).trades
    return trade.maker_fee, trade.taker_fee


def test_an_account_with_fee_rates_trades_on_its_own_tier():
    venue = venue_with(
        vip=AccountConfig(api_key="vip-key-0001", taker_fee=Decimal("0.0005")),
        plain=AccountConfig(api_key="plain-key-0001"),
    )
    assert fee_of(venue, "vip") == (parse_amount("50"), parse_amount("0.0005"))
    assert fee_of(venue, "plain") == (parse_amount("50"), parse_amount("0.002"))


def test_named_accounts_are_funded_and_their_keys_act_for_them():
    venue = venue_with(alice=AccountConfig(api_key="alice-key-0001", balances={"USD": Decimal("7")}))
    assert venue.exchange.balances("alice")["USD"].available == parse_amount("7")
    assert venue.keys.owner_of("alice-key-0001") == "alice"
