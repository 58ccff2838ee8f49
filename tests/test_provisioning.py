"""What the configuration lists, put on an exchange: symbols with their statistics, funded accounts."""

from decimal import Decimal

from twisted.internet.task import Clock

from exchangesim.config import AccountConfig, Config, seal
from exchangesim.credentials import KeyStore
from exchangesim.engine import Exchange, parse_amount
from exchangesim.marketdata.clock import MarketClock
from exchangesim.marketdata.statistics import MarketStatistics
from exchangesim.provisioning import Provisioner


def provisioner(config):
    clock = MarketClock(Clock(), 1.0, 1_700_000_000_000)
    return Provisioner(seal(config), Exchange(fee_account="fees"), KeyStore(), MarketStatistics(), clock)


def test_funding_skips_what_no_symbol_trades():
    listing = provisioner(Config())  # BTC/USD and ETH/USD
    listing.open_configured()
    listing.exchange.open_account("erin")
    listing.fund("erin", {"BTC": Decimal("2"), "DOGE": Decimal("5")})
    held = {
        asset: view.available for asset, view in listing.exchange.balances("erin").items() if view.available
    }
    assert held == {"BTC": parse_amount("2")}


def test_what_the_configuration_adds_is_opened_and_the_new_asset_funded():
    before = Config()
    before.exchange.symbols = ("BTC/USD",)
    listing = provisioner(before)
    listing.open_configured()
    after = Config()
    after.exchange.symbols = ("BTC/USD", "ETH/USD")
    after.named_accounts["carol"] = AccountConfig(api_key="carol-key-0001", balances={"ETH": Decimal("3")})
    grown = Provisioner(seal(after), listing.exchange, listing.keys, listing.statistics, listing.clock)
    assert grown.add_configured() == ["[symbol:ETH/USD]", "[account:carol]"]
    exchange = grown.exchange
    assert "ETH/USD" in grown.statistics.candles and grown.keys.owner_of("carol-key-0001") == "carol"
    assert exchange.balances("carol")["ETH"].available == parse_amount("3")
    default_eth = after.accounts.default_balance["ETH"]
    assert exchange.balances("default")["ETH"].available == parse_amount(default_eth)
    assert grown.add_configured() == []
