"""The Binance WS-API at ``/ws-api/v3``: the user data stream ccxt.pro subscribes to with a signature,
and ``order.place`` / ``order.cancel`` (the REST order parameters, signed the same way), so a client
can trade and follow its orders over one socket.

``{"id", "method": "userDataStream.subscribe.signature", "params": {apiKey, recvWindow, timestamp,
signature}}``, the signature over the parameters sorted by name (``k=v`` joined with ``&``), answers
``{"id", "status": 200, "result": {"subscriptionId": 0}}``; the account's ``executionReport`` and
``outboundAccountPosition`` events follow as ``{"subscriptionId": 0, "event": {...}}``. Errors answer
``{"id", "status": 4xx, "error": {"code", "msg"}}``.

Each request spends weight from ``[server] request_rate_limit``, the budget REST requests spend: its
API key's once the signature holds, else its address's. Past the limit it answers 429, then 418 until
the minute ends (``-1003``, with ``retryAfter`` in ms epoch under ``data``); every answer carries the
weight used as ``rateLimits``, as Binance's do.
"""

from __future__ import annotations

import json
from typing import Any

from ...engine import CommandResult, EngineError, Instrument
from ...persistence.commands import JournalFailedError
from ...venue import Venue
from ..ratelimit import Charge
from ..requests import MAX_JSON_DEPTH, json_too_deep
from ..responses import encode
from ..ws_connection import FaultedWebSocket, FaultedWebSocketFactory, LabeledMessage
from .errors import BinanceError, from_engine_error, journal_unavailable
from .params import Params, binance_symbols, instrument_named
from .parsing import order_reference
from .render import request_weight_limit
from .signed import verify_signed
from .trading import Trading
from .user_events import user_events
from .weights import refusal

__all__ = ["WsApiFactory", "WsApiProtocol"]

SUBSCRIPTION_ID = 0  # one user data subscription per connection


def signed_params(params: dict[str, Any]) -> Params:
    """WS-API parameters as REST ``Params``: the signed text is every parameter but ``signature``,
    sorted by name."""
    values = {name: _text(value) for name, value in params.items() if name != "signature"}
    payload = "&".join(f"{name}={values[name]}" for name in sorted(values)).encode("utf-8")
    signature = params.get("signature")
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


class WsApiProtocol(FaultedWebSocket):
    """One WS-API connection."""

    factory: WsApiFactory

    def opened(self) -> None:
        self.account: str | None = None

    def closed(self) -> None:
        self.factory.listeners.pop(self, None)

    def subscribed(self) -> bool:
        return self in self.factory.listeners

    def handle(self, payload: bytes) -> None:
        venue = self.factory.venue
        request_id, weight, key, failure = None, 1, None, None  # weight 1 until a method is named
        try:
            request = _request(payload)
            request_id = request.get("id")
            name = request.get("method")
            method, weight = self._METHODS.get(name, (None, 1)) if isinstance(name, str) else (None, 1)
            if method is None:
                known = ", ".join(self._METHODS)
                raise BinanceError(400, -1020, f"Unknown method {name!r}; known: {known}.")
            params = signed_params(request.get("params", {}))
            account = verify_signed(params.text("apiKey"), params, venue.authenticator, venue.wall_ms())
            key = params.text("apiKey")  # proven: the request spends this key's budget, else its address's
        except BinanceError as error:
            failure = error
        spent = venue.limiter.charge_client(self.transport.getPeer(), weight, key)
        failure = self._over_limit(spent) or failure
        if failure is None:
            try:
                answer = {"id": request_id, "status": 200, "result": method(self, account, params)}
            except (BinanceError, EngineError) as error:
                failure = from_engine_error(error) if isinstance(error, EngineError) else error
            except JournalFailedError:  # the order is refused like a REST one, the connection stays open
                failure = journal_unavailable()
        if failure is not None:
            answer = {"id": request_id, "status": failure.status, "error": failure.payload()}
        answer["rateLimits"] = [request_weight_limit(venue.limiter.limit, spent.used)]
        self.send(encode(answer))

    def _over_limit(self, spent: Charge) -> BinanceError | None:
        """The refusal of a request past ``request_rate_limit``, with when to retry (ms epoch)."""
        error = refusal(spent, self.factory.venue.limiter.limit)
        if error is not None:
            error.data = {"retryAfter": spent.resets_ms}
        return error

    def _subscribe(self, account: str, params: Params) -> dict[str, Any]:
        self.account = self.link.account = account
        self.factory.listeners[self] = None
        return {"subscriptionId": SUBSCRIPTION_ID}

    def _place(self, account: str, params: Params) -> dict[str, Any]:
        return self.factory.trading.place(account, params, self._instrument(params))

    def _cancel(self, account: str, params: Params) -> dict[str, Any]:
        return self.factory.trading.cancel(account, order_reference(params), self._instrument(params))

    def _instrument(self, params: Params) -> Instrument:
        return instrument_named(self.factory.symbols, params.text("symbol", required=True))  # type: ignore[arg-type]

    _METHODS = {  # method -> (handler, request weight as on Binance)
        "userDataStream.subscribe.signature": (_subscribe, 2),
        "order.place": (_place, 1),
        "order.cancel": (_cancel, 1),
    }

    def deliver(self, event: dict[str, Any]) -> None:
        """One user data event of this connection's account."""
        message = encode({"subscriptionId": SUBSCRIPTION_ID, "event": event})
        self.send(LabeledMessage.of(message, {"channel": "userData", "account": self.account}))


class WsApiFactory(FaultedWebSocketFactory):
    """Builds a protocol per WS-API client; sends each subscribed account its engine events."""

    protocol = WsApiProtocol

    def __init__(self, venue: Venue) -> None:
        super().__init__(venue)
        self.listeners: dict[WsApiProtocol, None] = {}
        self.trading = Trading(venue)
        self.symbols = binance_symbols(venue.exchange)
        venue.exchange.subscribe(self._publish)

    def _publish(self, result: CommandResult) -> None:
        if not self.listeners:
            return
        by_account = user_events(self.venue.exchange, result, self.venue.now_ms())
        for listener in tuple(self.listeners):
            for event in by_account.get(listener.account, ()):  # type: ignore[arg-type]
                listener.deliver(event)
