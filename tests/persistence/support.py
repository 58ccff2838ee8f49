"""The daemon's service on a memory reactor with persistence in a test folder, and state to compare."""

from __future__ import annotations

import json

from treq.testing import StubTreq
from twisted.internet.testing import MemoryReactorClock

from exchangesim.config import Config, seal
from exchangesim.service import ExchangeService, native_rest

START = 1_700_000_000.0
ADMIN_TOKEN = "test-admin-token"


def persisted_config(folder, **settings) -> Config:
    """Defaults with slow ticks (so agents trade a little each step) and persistence in ``folder``."""
    config = Config()
    config.exchange.tick_interval_ms = 100
    config.server.admin_token = ADMIN_TOKEN
    config.persistence.path = str(folder)
    for key, value in settings.items():
        setattr(config.persistence, key, value)
    return config


def start_service(config: Config, at: float = START) -> tuple[ExchangeService, MemoryReactorClock]:
    """A started service on a memory reactor whose clock reads ``at``."""
    reactor = MemoryReactorClock()
    reactor.advance(at)
    service = ExchangeService(seal(config), reactor)
    service.privilegedStartService()
    service.startService()
    return service, reactor


def recover(config: Config, at: float = START) -> ExchangeService:
    """A service whose persistence alone has started: the state as recovered, before the market acts."""
    reactor = MemoryReactorClock()
    reactor.advance(at)
    service = ExchangeService(seal(config), reactor)
    service.services[0].startService()
    return service


def run_market(reactor: MemoryReactorClock, steps: int = 30) -> None:
    for _ in range(steps):
        reactor.advance(0.1)


def crash(service: ExchangeService) -> None:
    """What kill -9 leaves: files as written, the folder's lock released, nothing flushed or snapshotted."""
    persistence = service.services[0]
    persistence.directory.close()


def engine_state(service: ExchangeService) -> dict:
    """Everything a client can see of the engine, and the API keys."""
    exchange = service.venue.exchange
    accounts = exchange.account_names()
    return {
        "balances": {name: exchange.balances(name) for name in accounts},
        "open": {name: exchange.open_orders(name) for name in accounts},
        "closed": {name: exchange.orders(name, limit=1000) for name in accounts},
        "fills": {name: exchange.fills(name, limit=1000) for name in accounts},
        "books": {i.symbol: exchange.depth(i.symbol, 1000) for i in exchange.instruments()},
        "trades": {i.symbol: exchange.recent_trades(i.symbol, 1000) for i in exchange.instruments()},
        "keys": {name: service.venue.keys.keys_of(name) for name in accounts},
    }


def admin_call(service: ExchangeService, method: str, path: str, body=None) -> tuple[int, dict]:
    """One admin request over the native API in memory."""
    http = StubTreq(native_rest(service.venue).resource())
    data = None if body is None else json.dumps(body).encode()
    headers = {"X-Admin-Token": ADMIN_TOKEN, "Content-Type": "application/json"}
    deferred = http.request(method, f"http://127.0.0.1/admin{path}", data=data, headers=headers)
    response = _result(deferred)
    return response.code, json.loads(_result(response.content()))


def _result(deferred):
    results = []
    deferred.addBoth(results.append)
    (result,) = results
    if hasattr(result, "raiseException"):
        result.raiseException()
    return result
