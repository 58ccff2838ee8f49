"""``/metrics``: the running simulator's figures for Prometheus, read from its state when scraped.

Nothing is counted on the hot paths: the engine, the books, the moving markets and the WebSocket
streams already hold their totals, and one collector reads them per scrape, in the reactor thread
(prometheus_client's own Twisted resource would read them from a thread pool). Only HTTP answers are
counted as they go, by status, where twisted.web logs them anyway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource

from .api.native import NativeWebSocketFactory
from .api.ws_connection import FaultyWebSocketFactory
from .engine import Exchange
from .marketdata.service import MovingMarket

__all__ = ["MetricsPage", "VenueCollector"]


class VenueCollector(Collector):
    """Engine, market, HTTP and WebSocket figures of one venue: its ``exchange`` and moving ``markets``,
    the HTTP answers by status, and the WebSocket endpoints (``ws`` the native one)."""

    def __init__(
        self,
        exchange: Exchange,
        markets: Mapping[str, MovingMarket],
        ws: NativeWebSocketFactory,
        http_answers: Counter[int],
        ws_endpoints: Mapping[str, FaultyWebSocketFactory] = MappingProxyType({}),
    ) -> None:
        self._exchange = exchange
        self._markets = markets
        self._ws = ws
        self._http_answers = http_answers
        self._ws_endpoints = {"/ws": ws, **ws_endpoints}  # path -> factory, for connection counts

    def collect(self) -> Iterator[Metric]:
        exchange = self._exchange
        trades = CounterMetricFamily(
            "exchangesim_trades", "Trades (maker fills) since start", labels=["symbol"]
        )
        volume = CounterMetricFamily(
            "exchangesim_traded_base", "Base quantity traded since start", labels=["symbol"]
        )
        last = GaugeMetricFamily("exchangesim_last_price", "Price of the last trade", labels=["symbol"])
        sequence = GaugeMetricFamily(
            "exchangesim_book_sequence", "The book's change counter", labels=["symbol"]
        )
        levels = GaugeMetricFamily(
            "exchangesim_book_levels", "Price levels in the book", labels=["symbol", "side"]
        )
        for instrument in exchange.instruments():
            symbol = instrument.symbol
            stats = exchange.stats(symbol)
            trades.add_metric([symbol], stats.trades)
            volume.add_metric([symbol], float(instrument.lot_size * stats.volume))
            price = exchange.last_price(symbol)
            if price is not None:
                last.add_metric([symbol], float(instrument.tick_size * price))
            depth = exchange.depth(symbol, 1_000_000)
            sequence.add_metric([symbol], depth.sequence)
            levels.add_metric([symbol, "BUY"], len(depth.bids))
            levels.add_metric([symbol, "SELL"], len(depth.asks))
        yield from (trades, volume, last, sequence, levels)
        yield from self._market()
        answers = CounterMetricFamily(
            "exchangesim_http_responses", "HTTP responses by status", labels=["code"]
        )
        for code, count in sorted(self._http_answers.items()):
            answers.add_metric([str(code)], count)
        yield answers
        connections = GaugeMetricFamily(
            "exchangesim_ws_connections", "Open WebSocket connections", labels=["endpoint"]
        )
        for endpoint, factory in self._ws_endpoints.items():
            connections.add_metric([endpoint], len(factory.connections))
        yield connections
        yield GaugeMetricFamily(
            "exchangesim_ws_subscriptions",
            "Subscriptions held on the native /ws",
            self._ws.feed.subscriptions,
        )
        queued = sum(
            connection.outbox.queued
            for factory in self._ws_endpoints.values()
            for connection in factory.connections
        )
        yield GaugeMetricFamily(
            "exchangesim_ws_queued_messages", "Messages waiting in WebSocket outboxes", queued
        )

    def _market(self) -> Iterator[Metric]:
        fair = GaugeMetricFamily("exchangesim_fair_price", "The price model's fair price", labels=["symbol"])
        lag = GaugeMetricFamily(
            "exchangesim_tick_lag_seconds",
            "How overdue the next tick is, in wall-clock seconds",
            labels=["symbol"],
        )
        paused = GaugeMetricFamily(
            "exchangesim_market_paused", "1 while a symbol's market is paused", labels=["symbol"]
        )
        for symbol, market in self._markets.items():
            tick_size = self._exchange.instrument(symbol).tick_size
            fair.add_metric([symbol], float(tick_size * market.fair))
            lag.add_metric([symbol], market.lag())
            paused.add_metric([symbol], int(market.paused))
        yield from (fair, lag, paused)


class MetricsPage(Resource):
    """The Prometheus text exposition of one registry, rendered in the reactor thread."""

    isLeaf = True

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__()
        self._registry = registry

    def render_GET(self, request: IRequest) -> bytes:
        request.setHeader(b"content-type", CONTENT_TYPE_LATEST.encode("ascii"))
        return generate_latest(self._registry)
