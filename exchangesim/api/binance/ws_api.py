"""The Binance WS-API at ``/ws-api/v3``: user data subscriptions, listenKeys, session logon, and
``order.place`` / ``order.cancel`` (the REST order parameters, signed the same way), so a client can
trade and follow its orders over one socket.

Requests are ``{"id", "method", "params"}``; SIGNED ones carry ``apiKey``, ``timestamp``
(``recvWindow``) and ``signature``, the HMAC-SHA256 of the parameters sorted by name (``k=v`` joined with
``&``), or, once the connection ran ``session.logon``, ``timestamp`` alone. Methods, as Binance's:

- ``userDataStream.subscribe.signature`` (SIGNED) and ``userDataStream.subscribe`` (the logged-on
  account) answer ``{"subscriptionId": N}``; the account's ``executionReport``,
  ``outboundAccountPosition`` and ``balanceUpdate`` events follow as ``{"subscriptionId": N, "event":
  {...}}``. ``userDataStream.unsubscribe`` (``subscriptionId``, or none: all) answers ``{}``;
  ``session.subscriptions`` lists ``[{"subscriptionId": N}, ...]``.
- ``userDataStream.start`` (``apiKey``) answers ``{"listenKey"}``; ``userDataStream.ping`` and
  ``userDataStream.stop`` (``listenKey``, ``apiKey``) answer ``{}`` (see ``listen_keys``). Binance
  retired these three on 2026-02-20 for the subscriptions above; they are still served for older clients.
- ``session.logon`` (SIGNED), ``session.status``, ``session.logout`` (see ``ws_api_session``).

Answers are ``{"id", "status": 200, "result"}`` or ``{"id", "status": 4xx, "error": {"code", "msg"}}``.
Each request spends weight from ``[server] request_rate_limit``, the budget REST requests spend: its
API key's once the signature (or the session) proves it, else its address's. Past the limit it answers
429, then 418 until the minute ends (``-1003``, with ``retryAfter`` in ms epoch under ``data``); every
answer carries the weight used as ``rateLimits``, unless ``returnRateLimits`` is false (in the request,
or for the connection in its URL: ``/ws-api/v3?returnRateLimits=false``).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from typing import Any

import attrs
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet.interfaces import IReactorTime

from ...config import ServerConfig
from ...credentials import ApiKey
from ...engine import EngineError
from ...failures.controller import FaultController
from ...persistence.commands import JournalFailedError
from ..auth import Authenticator
from ..ratelimit import Charge, WeightLimiter
from ..requests import MAX_JSON_DEPTH, json_too_deep
from ..responses import encode
from ..ws_connection import FaultyWebSocket, FaultyWebSocketFactory
from .errors import BinanceError, from_engine_error, journal_unavailable
from .listen_keys import ListenKeys
from .params import Params
from .parsing import order_reference
from .render import request_weight_limit
from .signed import check_timestamp, known_key, verify_signed
from .trading import Trading
from .user_data_feed import UserDataFeed
from .weights import refusal
from .ws_api_session import Session

__all__ = ["WsApiFactory", "WsApiProtocol"]


class Security(enum.Enum):
    """What a method asks of the caller, as Binance's security types."""

    NONE = "no credentials"
    USER_STREAM = "an API key (``apiKey``, or the session's)"
    SIGNED = "a signature, or a logged-on session and ``timestamp``"
    LOGON = "a signature (``session.logon`` itself)"
    LOGGED_ON = "a logged-on session"


@attrs.frozen
class Method:
    """A WS-API method: its handler, its request weight and what it asks of the caller."""

    handler: Callable[[WsApiProtocol, str | None, Params], Any]
    weight: int
    security: Security


def signed_params(params: dict[str, Any]) -> Params:
    """WS-API parameters as REST ``Params``: the signed text is every parameter but ``signature``,
    sorted by name."""
    values = dict(params)
    signature = values.pop("signature", None)
    for name, value in values.items():
        if type(value) is not str:  # JSON numbers and booleans, as their query-string text
            values[name] = _text(value)
    payload = "&".join(map("=".join, sorted(values.items()))).encode("utf-8")  # names are unique
    return Params(values, payload, signature if isinstance(signature, str) else None)


def _request(payload: bytes) -> dict[str, Any]:
    """One WS-API request: a JSON object whose ``params``, when present, are an object."""
    if json_too_deep(payload):
        raise BinanceError(400, -1100, f"Malformed JSON: nested more than {MAX_JSON_DEPTH} levels deep.")
    try:
        request = json.loads(payload)
    except ValueError:
        raise BinanceError(400, -1100, "Malformed JSON.") from None
    if not isinstance(request, dict) or not isinstance(request.get("params", {}), dict):
        raise BinanceError(400, -1100, "Send a JSON object with an object of params.")
    return request


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _flag(text: str | None, name: str, default: bool) -> bool:
    """A boolean parameter sent as ``true`` / ``false`` (JSON or text)."""
    if text is None:
        return default
    if text.lower() not in ("true", "false"):
        raise BinanceError(
            400, -1100, f"Illegal characters found in parameter '{name}'; legal values: true, false."
        )
    return text.lower() == "true"


class WsApiProtocol(FaultyWebSocket):
    """One WS-API connection."""

    factory: WsApiFactory

    def onConnect(self, request: ConnectionRequest) -> None:
        """Read ``returnRateLimits`` from the URL; another value than true or false refuses with 400."""
        values = request.params.get("returnRateLimits", [])
        try:
            self._return_rate_limits = _flag(values[-1] if values else None, "returnRateLimits", True)
        except BinanceError as error:
            raise ConnectionDeny(400, error.msg) from None

    def opened(self) -> None:
        factory = self.factory
        self._address = self.transport.getPeer()  # what requests without a proven key are charged to
        self.session = Session(factory.user_data, self.send, factory.wall_ms(), self._return_rate_limits)

    def closed(self) -> None:
        self.session.close()

    def subscribed(self) -> bool:
        return bool(self.session.subscriptions)

    def handle(self, payload: bytes) -> None:
        factory = self.factory
        request_id, weight, key, failure = None, 1, None, None  # weight 1 until a method is named
        show_limits = self.session.return_rate_limits
        try:
            request = _request(payload)
            request_id = request.get("id")
            name = request.get("method")
            method = self._METHODS.get(name) if isinstance(name, str) else None
            if method is None:
                known = ", ".join(self._METHODS)
                raise BinanceError(400, -1020, f"Unknown method {name!r}; known: {known}.")
            weight = method.weight
            params = signed_params(request.get("params", {}))
            show_limits = _flag(params.text("returnRateLimits"), "returnRateLimits", show_limits)
            account, key = self._authorize(method.security, params)
        except BinanceError as error:
            failure = error
        spent = factory.limiter.charge(self._address, weight, key)
        failure = self._over_limit(spent) or failure
        if failure is None:
            try:
                answer = {"id": request_id, "status": 200, "result": method.handler(self, account, params)}
            except (BinanceError, EngineError) as error:
                failure = from_engine_error(error) if isinstance(error, EngineError) else error
            except JournalFailedError:  # the order is refused like a REST one, the connection stays open
                failure = journal_unavailable()
        if failure is not None:
            answer = {"id": request_id, "status": failure.status, "error": failure.payload()}
        self.link.account = self.session.account  # whom faults target from now on
        if show_limits:
            answer["rateLimits"] = [request_weight_limit(factory.limiter.limit, spent.used)]
        self.answer(encode(answer))

    def _authorize(self, security: Security, params: Params) -> tuple[str | None, str | None]:
        """The account a request acts for and the API key whose budget it spends (None: its address's)."""
        factory = self.factory
        if security is Security.NONE:
            return None, None
        if security is Security.USER_STREAM:
            logged_on = self.session.api_key
            key = params.text("apiKey") or (None if logged_on is None else logged_on.key)
            return known_key(key, factory.authenticator).account, None
        if security is Security.LOGGED_ON or (
            security is Security.SIGNED
            and self.session.api_key is not None
            and params.text("apiKey") is None
            and params.signature is None
        ):
            api_key = self._logged_on_key()
            if security is Security.SIGNED:
                check_timestamp(params, factory.wall_ms())
            return api_key.account, api_key.key
        key = params.text("apiKey")
        return verify_signed(key, params, factory.authenticator, factory.wall_ms()), key

    def _logged_on_key(self) -> ApiKey:
        """The session's API key; a key no longer registered ends the session (-2015)."""
        api_key = self.session.api_key
        if api_key is None:
            raise BinanceError(
                401, -1002, "You are not authorized to execute this request: log on with session.logon first."
            )
        if self.factory.authenticator.keys.lookup(api_key.key) != api_key:
            self.session.logout(self.factory.now_ms())
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        return api_key

    def _over_limit(self, spent: Charge) -> BinanceError | None:
        """The refusal of a request past ``request_rate_limit``, with when to retry (ms epoch)."""
        error = refusal(spent, self.factory.limiter.limit)
        if error is not None:
            error.data = {"retryAfter": spent.resets_ms}
        return error

    # -- methods -------------------------------------------------------------------------------------
    def _subscribe_signed(self, account: str, params: Params) -> dict[str, Any]:
        return self._subscribe(account, by_logon=False)

    def _subscribe_logged_on(self, account: str, params: Params) -> dict[str, Any]:
        return self._subscribe(account, by_logon=True)

    def _subscribe(self, account: str, by_logon: bool) -> dict[str, Any]:
        subscription_id = self.session.subscribe(account, by_logon)
        return {"subscriptionId": subscription_id}

    def _unsubscribe(self, account: None, params: Params) -> dict[str, Any]:
        self.session.unsubscribe(params.whole("subscriptionId"), self.factory.now_ms())
        return {}

    def _subscriptions(self, account: None, params: Params) -> list[dict[str, int]]:
        return [{"subscriptionId": subscription_id} for subscription_id in self.session.subscriptions]

    def _start(self, account: str, params: Params) -> dict[str, Any]:
        return {"listenKey": self.factory.listen_keys.start(account)}

    def _ping(self, account: str, params: Params) -> dict[str, Any]:
        self.factory.listen_keys.keepalive(account, params.text("listenKey", required=True))  # type: ignore[arg-type]
        return {}

    def _stop(self, account: str, params: Params) -> dict[str, Any]:
        self.factory.listen_keys.close(account, params.text("listenKey", required=True))  # type: ignore[arg-type]
        return {}

    def _logon(self, account: str, params: Params) -> dict[str, Any]:
        factory = self.factory
        self.session.logon(factory.authenticator.keys.lookup(params.text("apiKey")), factory.wall_ms())  # type: ignore[arg-type]
        return self.session.status(factory.wall_ms())

    def _status(self, account: None, params: Params) -> dict[str, Any]:
        return self.session.status(self.factory.wall_ms())

    def _logout(self, account: None, params: Params) -> dict[str, Any]:
        factory = self.factory
        self.session.logout(factory.now_ms())
        return self.session.status(factory.wall_ms())

    def _place(self, account: str, params: Params) -> dict[str, Any]:
        trading = self.factory.trading
        return trading.place(account, params, trading.instrument(params))

    def _cancel(self, account: str, params: Params) -> dict[str, Any]:
        trading = self.factory.trading
        return trading.cancel(account, order_reference(params), trading.instrument(params))

    _METHODS = {  # request weights as on Binance
        "userDataStream.subscribe.signature": Method(_subscribe_signed, 2, Security.SIGNED),
        "userDataStream.subscribe": Method(_subscribe_logged_on, 2, Security.LOGGED_ON),
        "userDataStream.unsubscribe": Method(_unsubscribe, 2, Security.NONE),
        "session.subscriptions": Method(_subscriptions, 2, Security.NONE),
        "userDataStream.start": Method(_start, 2, Security.USER_STREAM),
        "userDataStream.ping": Method(_ping, 2, Security.USER_STREAM),
        "userDataStream.stop": Method(_stop, 2, Security.USER_STREAM),
        "session.logon": Method(_logon, 2, Security.LOGON),
        "session.status": Method(_status, 2, Security.NONE),
        "session.logout": Method(_logout, 2, Security.NONE),
        "order.place": Method(_place, 1, Security.SIGNED),
        "order.cancel": Method(_cancel, 1, Security.SIGNED),
    }


class WsApiFactory(FaultyWebSocketFactory):
    """Builds a protocol per WS-API client, over the venue's user data feed and listenKeys; ``now_ms`` is
    the market time, ``wall_ms`` the wall clock (signatures, sessions)."""

    protocol = WsApiProtocol

    def __init__(
        self,
        clock: IReactorTime,
        faults: FaultController,
        server: ServerConfig,
        *,
        trading: Trading,
        user_data: UserDataFeed,
        listen_keys: ListenKeys,
        authenticator: Authenticator,
        limiter: WeightLimiter,
        now_ms: Callable[[], int],
        wall_ms: Callable[[], int],
    ) -> None:
        super().__init__(clock, faults, server)
        self.trading = trading
        self.user_data = user_data
        self.listen_keys = listen_keys
        self.authenticator = authenticator
        self.limiter = limiter
        self.now_ms = now_ms
        self.wall_ms = wall_ms
