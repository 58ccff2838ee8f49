"""The whole venue in memory: the daemon's ``ExchangeService`` on a ``MemoryReactorClock``, no socket.

Every connection goes through the real port factory (connection limit, tcp faults, the site, the
WebSocket upgrade) over in-memory transports (``twisted.test.iosim``), so faults act as they do over
sockets and write the same audit. Time moves only when a test says so: ``advance(seconds)`` steps the
reactor from one timer to the next, each at its own time, so the market runs every tick a daemon with
the same seed would run, at the same market times.
"""

from __future__ import annotations

import copy
import os
import tempfile
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IProtocol
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import formatEventAsClassicLogText, globalLogPublisher
from twisted.test import iosim

from ..admin_client import Account, Admin, AdminError, account_in
from ..config import Config, ConfigError, seal
from ..config_checks import check_config, load_config
from ..service import ExchangeService
from ._http import MemoryAgent, MemoryResponse, NoAnswerError, call, memory_treq
from ._websocket import MemoryWebSocket

__all__ = ["MARKET_STEP_MS", "PEER", "START", "MemoryAdmin", "MemoryVenue", "venue"]

START = 1_700_000_000.0
"""The memory reactor's wall clock at start (2023-11-14T22:13:20Z), so that runs repeat exactly."""
MARKET_STEP_MS = 50
"""Market time ``advance`` runs in one step at most: a daemon's catch-up span (``schedule.SPAN_MS``)."""
PEER = IPv4Address("TCP", "127.0.0.1", 40000)
"""Where the in-memory clients connect from: loopback, so the admin API answers them."""


class MemoryVenue:
    """A started venue on its own memory reactor, and clients connected to it in memory.

    ``config`` is used as given (``venue()`` is the friendlier door); ``start`` is the reactor's wall
    clock at start, in epoch seconds; ``market_step_ms`` how much market time ``advance`` lets the
    market run at once (1: every tick on its own, as an idle daemon runs them; slower); ``capture_log``:
    keep the text of what is logged meanwhile in ``log_lines`` (a venue hears every event of the
    process while it lives).
    """

    def __init__(
        self,
        config: Config,
        *,
        start: float = START,
        peer: IPv4Address = PEER,
        market_step_ms: int = MARKET_STEP_MS,
        capture_log: bool = True,
    ) -> None:
        problems = check_config(config)
        if problems:
            raise ConfigError(problems)
        self.reactor = MemoryReactorClock()
        self.reactor.advance(start)
        self.peer = peer
        self.market_step_ms = market_step_ms
        self.log_lines: list[str] = []
        self._observer = _LogCapture(self) if capture_log else None
        self.service = ExchangeService(seal(config), self.reactor)
        self.config = self.service.config
        self.service.privilegedStartService()
        self.service.startService()
        self.factory = self.service.connections
        self.factory.doStart()  # as a listening port does: the site opens its access log
        self.pumps: list[iosim.IOPump] = []
        self.accounts: dict[str, Account] = {}
        self._agent = MemoryAgent(self, peer)
        self._http: Any = None
        self._names = 0
        self.admin = MemoryAdmin(self)
        self.stopped = False

    # -- what it is ------------------------------------------------------------------------------------
    @property
    def seed(self) -> int:
        return self.config.exchange.seed

    @property
    def port(self) -> int:
        """The port the venue would listen on (nothing listens: 80 for ``tcp:0``)."""
        web = self.service.web.port
        return (web.getHost().port if web is not None else 0) or 80

    @property
    def base_url(self) -> str:
        return "http://127.0.0.1" + ("" if self.port == 80 else f":{self.port}")

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/ws"

    @property
    def admin_token(self) -> str:
        return self.service.venue.admin_token

    def now_ms(self) -> int:
        """The market time, epoch milliseconds."""
        return self.service.venue.now_ms()

    def log_position(self) -> int:
        """How many lines were logged up to now (as the daemon's handle has it)."""
        return len(self.log_lines)

    def log_lines_so_far(self, since: int = 0) -> list[str]:
        """The lines logged from line ``since`` on (as the daemon's handle has it)."""
        return self.log_lines[since:]

    @property
    def log(self) -> str:
        """What the venue logged so far (the access log's lines included), as the daemon prints it."""
        return "".join(self.log_lines)

    # -- time ------------------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: every timer due runs at its own time (fault delays, timeouts, schedules)
        and bytes move to and from the clients after each; the market runs its ticks in steps of up to
        ``market_step_ms``, each tick at its own market time, as a daemon catching up does (the same
        trades; streams publish once a step)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        reactor = self.reactor
        target = reactor.seconds() + seconds
        step = self.market_step_ms / 1000
        while reactor.calls and (due := reactor.calls[0]).getTime() <= target:
            at = due.getTime()
            if due is self._market_call():
                at = min(target, at + step, *(call.getTime() for call in reactor.calls[1:]))
            reactor.advance(max(0.0, at - reactor.seconds()))
            if self.pumps:
                self.settle()
        reactor.advance(max(0.0, target - reactor.seconds()))
        self.settle()

    def _market_call(self) -> object:
        schedule = self.service.market.schedule
        return None if schedule is None else schedule.planned

    def settle(self) -> None:
        """Move bytes both ways and run what is due now, until nothing moves."""
        for _ in range(100):
            moved = False
            for pump in self.pumps:
                moved = pump.flush() or moved
            self.reactor.advance(0)
            self.pumps = [p for p in self.pumps if not (p.clientIO.disconnected and p.serverIO.disconnected)]
            if not moved:
                return

    # -- connections -----------------------------------------------------------------------------------
    def connect(self, client: IProtocol, peer: IPv4Address | None = None) -> iosim.IOPump | None:
        """Connect ``client`` to the venue's port, from ``peer``; None if the port refused it."""
        peer = peer or self.peer
        server = self.factory.buildProtocol(peer)
        if server is None:
            return None
        server_side = iosim.FakeTransport(server, isServer=True, peerAddress=peer)
        client_side = iosim.makeFakeClient(client)
        pump = iosim.connect(server, server_side, client, client_side, clock=self.reactor)
        self.pumps.append(pump)
        return pump

    @property
    def http(self) -> Any:
        """A treq-style client (``get``, ``post``, ``json_content``, ...) whose requests reach the venue
        in memory; each answers with a Deferred (``advance`` moves a held one on)."""
        if self._http is None:
            self._http = memory_treq(self._agent)
        return self._http

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        account: Account | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> MemoryResponse:
        """One REST request answered now (``NoAnswerError`` when a fault holds or drops it): ``body``
        as JSON (bytes or text as given), acting for ``account`` (its API key) or the default one."""
        sent = dict(headers or {})
        if account is not None:
            sent.setdefault("X-API-Key", self._account(account).api_key)
        return call(self, self._agent, method, path, body, sent)

    def ccxt(self, account: Account | str | None = None, **options: Any) -> Any:
        """A stock ``ccxt.binance`` (REST) trading with this venue in memory, for ``account``: its
        session sends through ``MemoryAdapter``. ``options`` go to ccxt's ``options``."""
        import ccxt

        from ..client import ccxt_config
        from ._requests import MemoryAdapter

        key = secret = None
        if account is not None:
            found = self._account(account)
            key, secret = found.api_key, found.api_secret
        exchange = ccxt.binance(
            {**ccxt_config(self.base_url, key, secret, **options), "enableRateLimit": False}
        )
        exchange.milliseconds = self.service.venue.wall_ms  # signatures' timestamps on the venue's clock
        adapter = MemoryAdapter(self)
        exchange.session.mount("http://", adapter)
        exchange.session.mount("https://", adapter)
        return exchange

    def websocket(self, path: str = "/ws", headers: Mapping[str, str] | None = None) -> MemoryWebSocket:
        """An open WebSocket of ``path`` (``/ws``, Binance's ``/ws/<stream>`` and ``/ws-api/v3``)."""
        return MemoryWebSocket(self, path, dict(headers) if headers else None)

    # -- accounts and the audit --------------------------------------------------------------------------
    def new_account(self, balances: Mapping[str, Any] | None = None, name: str | None = None) -> Account:
        """Open an account with keys (``balances`` such as ``{"USD": "10000"}``; none: the default)."""
        while name is None or name == f"test-{self._names}" in self.accounts:
            self._names += 1  # a fresh name: test-1, test-2, ...
            name = f"test-{self._names}"
        answer = self.admin.create_account(name, balances)
        account = Account(name, answer["api_key"], answer["api_secret"])
        self.accounts[name] = account
        return account

    def faults_injected(self, include_control: bool = False) -> list[dict[str, Any]]:
        """Audit events of the faults injected so far, oldest first (``include_control``: with the
        operators' changes, events of the fault ``admin``)."""
        events = list(self.service.venue.faults.audit.recent)
        return events if include_control else [event for event in events if event.get("fault") != "admin"]

    # -- the end ---------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the service as SIGTERM would (WebSockets closed with 1001, requests given their time)."""
        if self.stopped:
            return
        self.stopped = True
        try:
            stopped = self.service.stopService()
            for _ in range(100):
                self.settle()
                if stopped.called:
                    break
                self.advance(1.0)
        finally:
            if self._observer is not None:
                self._observer.detach()

    def __enter__(self) -> MemoryVenue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _account(self, account: Account | str) -> Account:
        return account_in(self.accounts, account)

    def __repr__(self) -> str:
        return f"<MemoryVenue seed={self.seed} market_time={self.now_ms()}>"


class _LogCapture:
    """Keeps the text of every log event in its venue's ``log_lines`` while the venue lives."""

    def __init__(self, venue: MemoryVenue) -> None:
        self._venue = weakref.ref(venue)
        globalLogPublisher.addObserver(self)

    def __call__(self, event: dict[str, Any]) -> None:
        venue = self._venue()
        if venue is None:  # never stopped, now gone
            self.detach()
            return
        text = formatEventAsClassicLogText(event)
        if text is not None:
            venue.log_lines.append(text)

    def detach(self) -> None:
        globalLogPublisher.removeObserver(self)


class MemoryAdmin(Admin):
    """The admin API client (``exchangesim.admin_client.Admin``) over the venue's in-memory HTTP."""

    def __init__(self, venue: MemoryVenue) -> None:
        super().__init__(venue.base_url, venue.admin_token)
        self._venue = venue

    def request(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"X-Admin-Token": self.token}
        try:
            response = self._venue.call(method, f"/api/v1/admin{path}", body, headers=headers)
        except NoAnswerError as error:
            raise AdminError(method, path, None, str(error)) from None
        try:
            answer = response.json()
        except ValueError:
            answer = response.body.decode("utf-8", "replace")
        if response.status >= 400:
            raise AdminError(method, path, response.status, answer)
        return answer


def venue(
    config: Config | str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    seed: int | None = None,
    *,
    start: float = START,
    market_step_ms: int = MARKET_STEP_MS,
) -> MemoryVenue:
    """A started in-memory venue: ``config`` is a ``Config``, INI text, or INI paths read in turn over
    the defaults; ``seed`` overrides ``[exchange] seed``. Fault injection is on (``[failures] enabled``)
    and nothing is kept on disk (``[persistence]`` is off), as unit tests want."""
    settings = _config_of(config)
    settings.failures.enabled = True
    settings.persistence.enabled = False
    if seed is not None:
        settings.exchange.seed = seed
    return MemoryVenue(settings, start=start, market_step_ms=market_step_ms)


def _config_of(config: Any) -> Config:
    if config is None:
        return Config()
    if isinstance(config, Config):
        return copy.deepcopy(config)
    if isinstance(config, str) and ("\n" in config or config.lstrip().startswith("[")):
        with tempfile.TemporaryDirectory(prefix="exchangesim-") as folder:
            path = os.path.join(folder, "venue.ini")
            with open(path, "w", encoding="utf-8") as file:
                file.write(config)
            return load_config([path])
    if isinstance(config, str | os.PathLike):
        return load_config([config])
    return load_config(list(config))
