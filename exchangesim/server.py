"""``ExchangeServer``: the daemon's services inside your own process, for tests and embedding."""

from __future__ import annotations

from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IReactorCore
from twisted.python.failure import Failure

from .config import Config, ConfigError, seal
from .config_checks import check_config
from .service import ExchangeService

__all__ = ["ExchangeServer"]


class ExchangeServer:
    """Runs what ``twistd exchangesim`` runs, from a ``Config`` built in Python.

    ``await server.start()`` works in a coroutine driven by Twisted (``ensureDeferred``); the
    configuration is copied and sealed at start, so later changes to ``config`` do not leak in.
    """

    def __init__(self, config: Config | None = None, *, reactor: IReactorCore | None = None) -> None:
        self.config = config if config is not None else Config()
        self._reactor = reactor
        self._service: ExchangeService | None = None

    def start(self) -> Deferred[None]:
        """Start serving; fires once the endpoint listens, or fails with the reason it cannot."""
        if self._service is not None:
            return fail(RuntimeError("this ExchangeServer is already started"))
        problems = check_config(self.config)
        if problems:
            return fail(ConfigError(problems))
        if self._reactor is None:
            from twisted.internet import reactor

            self._reactor = reactor
        service = self._service = ExchangeService(seal(self.config), self._reactor)
        service.privilegedStartService()
        # Start (recover the persisted state, run the markets) only once listening worked.
        listening = service.web.listening.addCallback(lambda port: service.startService())
        return listening.addCallbacks(lambda started: None, self._abandon)

    def _abandon(self, failure: Failure) -> Failure:
        service, self._service = self._service, None
        if service is not None:
            service.stopService()
        return failure

    def stop(self) -> Deferred[None]:
        """Stop serving; fires once the port is closed."""
        service, self._service = self._service, None
        if service is None:
            return fail(RuntimeError("this ExchangeServer is not running"))
        return service.stopService()

    @property
    def port(self) -> int:
        """The TCP port being served (useful with ``tcp:0``)."""
        if self._service is None or self._service.web.port is None:
            raise RuntimeError("this ExchangeServer is not listening")
        return self._service.web.port.getHost().port

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the REST API's server."""
        return f"http://{self._host()}:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://host:port/ws``, the native WebSocket."""
        return f"ws://{self._host()}:{self.port}/ws"

    def _host(self) -> str:
        assert self._service is not None and self._service.web.port is not None
        host = self._service.web.port.getHost().host
        return "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)
