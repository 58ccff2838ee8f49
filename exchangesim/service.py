"""The daemon's services, built in one place from a sealed configuration."""

from __future__ import annotations

from pathlib import Path

import attrs
from prometheus_client import CollectorRegistry
from twisted.application.service import MultiService, Service
from twisted.internet.defer import Deferred, TimeoutError, gatherResults
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import IListeningPort, IProtocolFactory, IReactorCore
from twisted.logger import Logger
from twisted.python.failure import Failure

from . import __version__
from .api.admin import AdminAPI, AdminGuard
from .api.admin_listener import AdminOnly
from .api.binance import BinanceAPI, engine_symbol_of
from .api.binance import account_of as binance_account_of
from .api.binance.errors import BINANCE_FAULT_ERRORS
from .api.binance.listen_keys import ListenKeys
from .api.binance.market_streams import MarketStreamFactory
from .api.binance.stream_feed import MarketStreamFeed
from .api.binance.trading import Trading
from .api.binance.user_data_feed import UserDataFeed
from .api.binance.ws_api import WsApiFactory
from .api.conflation import Conflator
from .api.connection_limit import ConnectionLimit
from .api.errors import NATIVE_FAULT_ERRORS
from .api.native import NativeAPI, NativeWebSocketFactory
from .api.native.feeds import StreamFeed
from .api.native.rate_limit import RateLimitedResource
from .api.site import BoundedSite, build_root
from .api.streams import StreamHub
from .api.ws_connection import FaultyWebSocketFactory
from .config import Config
from .failures.metrics import FaultCollector
from .failures.rest import FaultyResource
from .failures.tcp import FaultyFactory, TrackingFactory
from .metrics import MetricsPage, VenueCollector
from .persistence.service import PersistenceService
from .persistence.venue_state import VenueState
from .shutdown import CLOSE_TIMEOUT_S, drain
from .venue import Venue, open_venue

__all__ = [
    "ExchangeService",
    "ListeningService",
    "Streams",
    "admin_api",
    "binance_market_streams",
    "binance_rest",
    "binance_ws_api",
    "native_rest",
    "native_websocket",
    "venue_streams",
]


class ListeningService(Service):
    """Listens on an endpoint description, reports the bound address, and writes it to a port file.

    ``listening`` fires with the port, or fails; with ``along`` (another listener's ``listening``) it
    waits for that one too and fails if it does, so a daemon starts only when all its listeners do.
    """

    log = Logger()

    def __init__(
        self,
        reactor: IReactorCore,
        description: str,
        factory: IProtocolFactory,
        port_file: str | None = None,
        *,
        announce: str = "listening on {host}:{port} ({description})",
        along: Deferred[IListeningPort] | None = None,
    ) -> None:
        self._reactor = reactor
        self.description = description
        self._factory = factory
        self._port_file = port_file
        self._announce = announce
        self._along = along
        self._listen_requested = False
        self.port: IListeningPort | None = None
        self.listening: Deferred[IListeningPort] = Deferred()

    def privilegedStartService(self) -> None:
        """Listen now, before twistd drops privileges; ``listening`` fires with the port or the failure."""
        self._listen_requested = True
        endpoint = serverFromString(self._reactor, self.description)
        endpoint.listen(self._factory).addCallbacks(self._listened, self._failed)

    def startService(self) -> None:
        super().startService()
        if not self._listen_requested:
            self.privilegedStartService()

    def _listened(self, port: IListeningPort) -> None:
        self.port = port
        address = port.getHost()
        if self._port_file:
            Path(self._port_file).write_text(f"{address.port}\n", encoding="ascii")
        self.log.info(self._announce, host=address.host, port=address.port, description=self.description)
        if self._along is None:
            self.listening.callback(port)
        else:
            self._along.addCallbacks(lambda _: self.listening.callback(port), self.listening.errback)

    def _failed(self, failure: Failure) -> None:
        self.log.error(
            "cannot listen on {description}: {reason}",
            description=self.description,
            reason=failure.getErrorMessage(),
        )
        self.listening.errback(failure)

    def stopService(self) -> Deferred[None] | None:
        super().stopService()
        if self.port is None:
            return None
        port, self.port = self.port, None
        return port.stopListening()


class ExchangeService(MultiService):
    """The whole simulator as one service: the web endpoint and what it serves."""

    log = Logger()

    def __init__(self, config: Config, reactor: IReactorCore, port_file: str | None = None) -> None:
        super().__init__()
        self.config = config
        self.venue = open_venue(config, reactor)
        if config.persistence.enabled:  # first in, so it recovers before the rest starts and stops last
            venue = self.venue
            state = VenueState(
                venue.exchange, venue.keys, venue.statistics, venue.market.markets, venue.market_clock
            )
            PersistenceService(
                config, reactor, state, venue.provisioner, self.journal_failed
            ).setServiceParent(self)
        self.streams = streams = venue_streams(self.venue)  # one hub for both dialects' streams
        native = native_rest(self.venue)
        self.ws_factory = native_websocket(self.venue, streams)
        self.binance_streams = binance_market_streams(self.venue, streams)
        self.binance_ws_api = binance_ws_api(self.venue, streams)
        # Each dialect words what faults answer on its routes; Binance's market streams answer no
        # refused request (Binance closes a client over its message rate), so they keep none.
        self.ws_factory.error_shape = NATIVE_FAULT_ERRORS
        self.binance_ws_api.error_shape = BINANCE_FAULT_ERRORS
        registry = CollectorRegistry()
        faults = self.venue.faults
        admin = (b"/api/v1/admin",)
        native_api = RateLimitedResource(
            FaultyResource(
                native.resource(),
                faults,
                self.venue.authenticator.account_of,
                admin,
                error_shape=NATIVE_FAULT_ERRORS,
            ),
            self.venue.limiter,
            self.venue.authenticator,
            admin,
        )
        binance_api = FaultyResource(
            binance_rest(self.venue, streams).resource(),
            faults,
            binance_account_of(self.venue.authenticator),
            symbol_of=engine_symbol_of(self.venue.exchange),
            error_shape=BINANCE_FAULT_ERRORS,
        )
        root = build_root(
            native_api,
            self.ws_factory,
            MetricsPage(registry),
            binance_api,
            self.binance_streams,
            self.binance_ws_api,
        )
        self.site = site = BoundedSite(
            root,
            config.server.max_body_bytes,
            config.server.idle_timeout_s,
            reactor,
            request_head_timeout=config.server.request_head_timeout_s,
        )
        ws_endpoints = {"/ws/<stream>": self.binance_streams, "/ws-api/v3": self.binance_ws_api}
        registry.register(
            VenueCollector(
                self.venue.exchange, self.venue.market.markets, self.ws_factory, site.answers, ws_endpoints
            )
        )
        registry.register(FaultCollector(faults))
        self.connections = ConnectionLimit(
            FaultyFactory(site, faults),
            config.server.max_connections,
            per_address=config.server.max_connections_per_address,
        )
        # The markets open (a reference price, a two-sided book) before the port serves a request.
        self.market = self.venue.market
        self.market.setServiceParent(self)
        self.admin: ListeningService | None = None
        self.admin_connections: ConnectionLimit | None = None
        if config.server.admin_endpoint:
            # Its own site and connections, with the main port's protections but no fault wrapper, no
            # rest faults and no rate limit: the operator's way in while faults silence the main port.
            admin_site = BoundedSite(
                AdminOnly(native.resource()),
                config.server.max_body_bytes,
                config.server.idle_timeout_s,
                reactor,
                request_head_timeout=config.server.request_head_timeout_s,
            )
            self.admin_connections = ConnectionLimit(
                TrackingFactory(admin_site),  # no fault reaches this listener
                config.server.max_connections,
                per_address=config.server.max_connections_per_address,
            )
            self.admin = ListeningService(
                reactor,
                config.server.admin_endpoint,
                self.admin_connections,
                announce="admin API on {host}:{port} ({description}); no fault acts there",
            )
        self.web = ListeningService(
            reactor,
            config.server.endpoint,
            self.connections,
            port_file,
            along=None if self.admin is None else self.admin.listening,
        )
        self.web.setServiceParent(self)
        if self.admin is not None:  # after the main port, which listens first
            self.admin.setServiceParent(self)

    def privilegedStartService(self) -> None:
        self.log.info(
            "exchangesim {version} starting; seed {seed}", version=__version__, seed=self.config.exchange.seed
        )
        if not self.config.server.admin_token:
            self.log.info(
                "admin token for this run (set [server] admin_token to fix one): {token}",
                token=self.venue.admin_token,
            )
        super().privilegedStartService()

    def startService(self) -> None:
        # A Site does not start a factory wrapped in WebSocketResource; its owner must.
        for factory in self._ws_factories():
            factory.doStart()
        self.venue.faults.start()
        super().startService()

    def stopService(self) -> Deferred[None]:
        """Stop accepting, close WebSocket clients with 1001 and let requests finish (bounded: see
        ``shutdown``), then close what is left and stop the services (the journal flushes there)."""
        websockets = [connection for factory in self._ws_factories() for connection in factory.connections]
        stopped = drain(self.venue.clock, self.web.stopService, websockets, self.site.in_flight)
        stopped.addCallback(self._close_connections)
        stopped.addCallback(lambda _: MultiService.stopService(self))
        stopped.addCallback(lambda _: None)
        stopped.addBoth(self._stopped)
        return stopped

    def journal_failed(self, error: Exception) -> None:
        """Hook: the journal could not be written, and the venue already refuses every command. The
        daemon under twistd stops here (``tap``); an embedding process decides for itself."""

    def _close_connections(self, _: object) -> Deferred[object]:
        limits = (self.connections, self.admin_connections)
        return gatherResults([self._close_all(limit) for limit in limits if limit is not None])

    def _close_all(self, limit: ConnectionLimit) -> Deferred[object]:
        closed = limit.close_all().addTimeout(CLOSE_TIMEOUT_S, self.venue.clock)
        return closed.addErrback(lambda failure: failure.trap(TimeoutError))  # overdue: stop regardless

    def _stopped(self, result: object) -> object:
        for factory in self._ws_factories():
            factory.doStop()
        self.streams.conflator.stop()
        self.streams.listen_keys.stop()
        self.venue.faults.stop()
        self.log.info("exchangesim stopped")
        return result

    def _ws_factories(self) -> tuple[FaultyWebSocketFactory, ...]:
        return (self.ws_factory, self.binance_streams, self.binance_ws_api)


def admin_api(venue: Venue) -> AdminAPI:
    """The admin API over the venue's parts."""
    server = venue.config.server
    return AdminAPI(
        AdminGuard(venue.admin_token, server.admin_allow_remote, server.max_body_bytes),
        venue.exchange,
        venue.keys,
        venue.provisioner,
        venue.market,
        venue.faults,
        venue.market_clock,
        venue.config.exchange.clock,
    )


@attrs.frozen
class Streams:
    """The venue's streams: one hub and one conflator for both dialects, the feeds rendering into them,
    and what Binance's REST routes, market streams and WS-API share: the listenKeys and the order
    actions (``trading``)."""

    conflator: Conflator
    native: StreamFeed
    market: MarketStreamFeed
    user_data: UserDataFeed
    listen_keys: ListenKeys
    trading: Trading


def venue_streams(venue: Venue) -> Streams:
    """The stream hub of the venue, its feeds subscribed to the engine and to the fault audit."""
    hub, conflator = StreamHub(), Conflator(venue.clock)
    native = StreamFeed(venue.exchange, venue.statistics, hub, conflator, venue.now_ms)
    venue.faults.audit.listeners.append(native.publish_fault)
    market = MarketStreamFeed(venue.exchange, venue.statistics, hub, conflator, venue.now_ms)
    user_data = UserDataFeed(venue.exchange, hub, venue.now_ms)
    listen_keys = ListenKeys(venue.clock, user_data, venue.now_ms)
    trading = Trading(venue.exchange, venue.now_ms)
    return Streams(conflator, native, market, user_data, listen_keys, trading)


def native_rest(venue: Venue) -> NativeAPI:
    """The native REST routes over the venue's parts, the admin API under them."""
    return NativeAPI(
        venue.exchange,
        venue.statistics,
        venue.authenticator,
        admin_api(venue).resource(),
        clock=venue.clock,
        now_ms=venue.now_ms,
        markets=venue.market.markets,
        seed=venue.config.exchange.seed,
        max_body_bytes=venue.config.server.max_body_bytes,
    )


def native_websocket(venue: Venue, streams: Streams) -> NativeWebSocketFactory:
    """The native WebSocket over the venue's streams."""
    return NativeWebSocketFactory(
        venue.clock,
        venue.faults,
        venue.config.server,
        feed=streams.native,
        exchange=venue.exchange,
        authenticator=venue.authenticator,
        admin_token=venue.admin_token,
        now_ms=venue.now_ms,
    )


def binance_rest(venue: Venue, streams: Streams) -> BinanceAPI:
    """The Binance REST routes over the venue's parts."""
    config = venue.config
    return BinanceAPI(
        venue.exchange,
        venue.statistics,
        streams.trading,
        streams.listen_keys,
        venue.authenticator,
        venue.limiter,
        now_ms=venue.now_ms,
        wall_ms=venue.wall_ms,
        max_body_bytes=config.server.max_body_bytes,
        fees=config.exchange,
        accounts=config.named_accounts,
    )


def binance_market_streams(venue: Venue, streams: Streams) -> MarketStreamFactory:
    """Binance's market streams (``/ws/<stream>``, ``/stream``) over the venue's streams."""
    return MarketStreamFactory(
        venue.clock,
        venue.faults,
        venue.config.server,
        exchange=venue.exchange,
        feed=streams.market,
        listen_keys=streams.listen_keys,
    )


def binance_ws_api(venue: Venue, streams: Streams) -> WsApiFactory:
    """Binance's WS-API (``/ws-api/v3``) over the venue's parts and streams."""
    return WsApiFactory(
        venue.clock,
        venue.faults,
        venue.config.server,
        trading=streams.trading,
        user_data=streams.user_data,
        listen_keys=streams.listen_keys,
        authenticator=venue.authenticator,
        limiter=venue.limiter,
        now_ms=venue.now_ms,
        wall_ms=venue.wall_ms,
    )
