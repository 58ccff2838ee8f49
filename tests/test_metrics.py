"""/metrics: the venue's figures in Prometheus' text format, read at scrape time."""

from collections import Counter
from types import SimpleNamespace

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from treq.testing import StubTreq
from twisted.internet.task import Clock

from exchangesim.config import Config, seal
from exchangesim.metrics import MetricsPage, VenueCollector
from exchangesim.service import binance_market_streams, native_websocket, venue_streams
from exchangesim.venue import open_venue


class _OpenClient:
    """An open Binance stream connection with two messages waiting, as the collector reads it."""

    outbox = SimpleNamespace(queued=2)


def scrape():
    clock = Clock()
    config = Config()
    config.exchange.tick_interval_ms = 10
    venue = open_venue(seal(config), clock)
    venue.market.startService()
    clock.pump([0.01] * 300)
    registry = CollectorRegistry()
    hub = venue_streams(venue)
    streams = binance_market_streams(venue, hub)
    streams.connections.add(_OpenClient())
    registry.register(
        VenueCollector(
            venue.exchange,
            venue.market.markets,
            native_websocket(venue, hub),
            Counter({200: 3, 400: 1}),
            {"/ws/<stream>": streams},
        )
    )
    response = StubTreq(MetricsPage(registry)).get("http://sim/metrics")
    return venue, response


def samples(text):
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_the_figures_are_the_venues_own():
    venue, deferred = scrape()
    response = deferred.result
    assert response.headers.getRawHeaders(b"content-type")[0].startswith(b"text/plain")
    found = samples(deferred.result.text().result)
    stats = venue.exchange.stats("BTC/USD")
    assert found["exchangesim_trades_total", (("symbol", "BTC/USD"),)] == stats.trades > 0
    levels = len(venue.exchange.depth("ETH/USD", 10_000).asks)
    assert found["exchangesim_book_levels", (("side", "SELL"), ("symbol", "ETH/USD"))] == levels > 50
    assert (
        found["exchangesim_book_sequence", (("symbol", "BTC/USD"),)]
        == venue.exchange.depth("BTC/USD").sequence
    )
    assert found["exchangesim_http_responses_total", (("code", "200"),)] == 3
    assert found["exchangesim_market_paused", (("symbol", "ETH/USD"),)] == 0
    assert found["exchangesim_ws_connections", (("endpoint", "/ws"),)] == 0
    assert found["exchangesim_ws_connections", (("endpoint", "/ws/<stream>"),)] == 1
    assert found["exchangesim_ws_queued_messages", ()] == 2
    assert 0 < found["exchangesim_fair_price", (("symbol", "BTC/USD"),)]
