"""``ExchangeServer`` in-process on the real reactor: the seed's embedding form, over loopback."""

import json

import pytest
import pytest_twisted
import treq
from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol, connectWS
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.error import CannotListenError
from twisted.web.client import HTTPConnectionPool

from exchangesim.config import Config, ConfigError
from exchangesim.server import ExchangeServer


def _loopback_config():
    config = Config()
    config.server.endpoint = "tcp:0:interface=127.0.0.1"
    return config


class _PingClient(WebSocketClientProtocol):
    def onOpen(self):
        self.sendMessage(b'{"op": "ping"}')

    def onMessage(self, payload, isBinary):
        self.sendClose()
        self.factory.reply.callback(json.loads(payload))


@pytest_twisted.ensureDeferred
async def test_start_serves_rest_and_websocket_on_one_port_then_stop():
    server = ExchangeServer(_loopback_config())
    await server.start()
    pool = HTTPConnectionPool(reactor, persistent=False)
    try:
        response = await treq.get(f"{server.base_url}/api/v1/health", pool=pool)
        health = await response.json()
        factory = WebSocketClientFactory(server.ws_url, reactor=reactor)
        factory.protocol, factory.reply = _PingClient, Deferred()
        connectWS(factory)
        pong = await factory.reply
    finally:
        await server.stop()
    assert health["status"] == "ok"
    assert pong["type"] == "PONG"


@pytest_twisted.ensureDeferred
async def test_the_config_is_sealed_at_start():
    config = _loopback_config()
    server = ExchangeServer(config)
    await server.start()
    try:
        config.exchange.seed = 1234
        pool = HTTPConnectionPool(reactor, persistent=False)
        health = await (await treq.get(f"{server.base_url}/api/v1/health", pool=pool)).json()
    finally:
        await server.stop()
    assert health["seed"] == 42


@pytest_twisted.ensureDeferred
async def test_an_inconsistent_config_fails_start():
    config = _loopback_config()
    config.exchange.symbols = ("DOGE/USD",)
    with pytest.raises(ConfigError, match=r"DOGE/USD has no \[symbol:DOGE/USD\] section"):
        await ExchangeServer(config).start()


@pytest_twisted.ensureDeferred
async def test_a_port_in_use_fails_start_and_the_server_can_try_again():
    first = ExchangeServer(_loopback_config())
    await first.start()
    try:
        config = _loopback_config()
        config.server.endpoint = f"tcp:{first.port}:interface=127.0.0.1"
        second = ExchangeServer(config)
        with pytest.raises(CannotListenError):
            await second.start()
        with pytest.raises(RuntimeError, match="not running"):
            await second.stop()
    finally:
        await first.stop()
