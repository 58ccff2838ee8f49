"""Faults on REST requests: a request as faults see it, the response they may alter, the verdicts an
effect returns, and the effect base class."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote_to_bytes

import attrs
from twisted.internet.defer import Deferred
from twisted.python.components import Componentized
from twisted.web.http_headers import Headers
from twisted.web.iweb import IRequest
from twisted.web.server import Request

from ..wire import FORM, json_too_deep, media_type
from .answers import FaultError

if TYPE_CHECKING:
    from .fault import Fault, Scope

__all__ = [
    "Answer",
    "Delay",
    "Lose",
    "Repeat",
    "RequestEffect",
    "Response",
    "RestCall",
    "Rewrite",
    "Verdict",
    "response_fields",
]


@attrs.frozen
class Delay:
    """Hold the request (pre_engine) or its response (post_engine) for ``seconds``."""

    seconds: float
    action: str = "delay"


@attrs.frozen
class Answer:
    """Answer with this instead: pre_engine, the engine never sees the request; post_engine, it acted.

    With an ``error``, the body is that error in the words of the dialect whose route the request hit
    (``body`` is not sent): see ``refusing``."""

    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()
    action: str = "error"
    error: FaultError | None = None

    @classmethod
    def refusing(cls, error: FaultError, action: str) -> Answer:
        """Answer ``error.status`` with ``error`` as the dialect words it, and Retry-After when the
        error says when to try again."""
        retry = error.retry_after_s
        headers = () if retry is None else ((b"retry-after", b"%d" % retry),)
        return cls(error.status, b"", headers, action, error)


@attrs.frozen
class Lose:
    """Never answer: close the connection after ``hold`` seconds, or keep it open (``hold`` None)."""

    hold: float | None
    action: str = "drop"


@attrs.frozen
class Repeat:
    """Execute the request twice (pre_engine); the client gets the ``answer`` (first or second) one."""

    answer: str = "first"
    action: str = "duplicate"


@attrs.frozen
class Rewrite:
    """Send this body instead of the response's, with the same status and headers (post_engine)."""

    body: bytes
    action: str = "corrupt"
    detail: tuple[tuple[str, Any], ...] = ()


Verdict = Delay | Answer | Lose | Repeat | Rewrite


@attrs.frozen
class Response:
    """A response the engine's side produced, held before it is sent."""

    status: int
    headers: Headers
    body: bytes


_PARAMETER_FIELDS = {
    "symbol": "symbol",
    "client_order_id": "client_order_id",
    "newClientOrderId": "client_order_id",
    "origClientOrderId": "client_order_id",
}
"""Request parameters (query or JSON body, either dialect's names) that faults target and audit."""


class RestCall:
    """One request as faults see it: its route, account, symbol and client order id, read lazily."""

    def __init__(
        self,
        request: IRequest,
        account_of: Callable[[IRequest], str | None],
        symbol_of: Callable[[str], str] | None = None,
    ) -> None:
        self.request = request
        self.method = request.method.decode("ascii", "replace")
        self.path = unquote_to_bytes(request.path).decode("utf-8", "replace")  # as the routes read it
        self.gone = False
        self._account_of = account_of
        self._symbol_of = symbol_of
        self._fields: dict[str, Any] | None = None

    def watch(self) -> None:
        """Notice the client going away (``gone``), from now until the request is answered."""
        self.request.notifyFinish().addErrback(self._lost)

    def _lost(self, reason: object) -> None:
        self.gone = True

    def fields(self) -> dict[str, Any]:
        """The request's targeting and audit fields."""
        if self._fields is None:
            fields: dict[str, Any] = {
                "route": f"{self.method} {self.path}",
                "method": self.method,
                "path": self.path,
            }
            account = self._account_of(self.request)
            if account is not None:
                fields["account"] = account
            parameters = {**self._query(), **self._body()}
            for name, field in _PARAMETER_FIELDS.items():
                value = parameters.get(name)
                if isinstance(value, str) and field not in fields:
                    fields[field] = value
            if "symbol" in fields and self._symbol_of is not None:
                fields["symbol"] = self._symbol_of(fields["symbol"])
            self._fields = fields
        return self._fields

    def _query(self) -> dict[str, Any]:
        args = self.request.args or {}
        return {
            key.decode("utf-8", "replace"): values[0].decode("utf-8", "replace")
            for key, values in args.items()
            if values
        }

    def _body(self) -> dict[str, Any]:
        """The body's fields: a JSON object (the native API) or a form (the Binance dialect)."""
        content = self.request.content
        if content is None:
            return {}
        position = content.tell()
        raw = content.read(65536)
        content.seek(position)
        if media_type(self.request) == FORM:
            return dict(parse_qsl(raw.decode("utf-8", "replace")))
        try:
            body = None if json_too_deep(raw) else json.loads(raw)
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def respond(self, response: Response) -> None:
        """Send ``response`` to the client, unless it went away."""
        if self.gone:
            return
        request = self.request
        request.setResponseCode(response.status)
        for name, values in response.headers.getAllRawHeaders():
            request.responseHeaders.setRawHeaders(name, values)
        request.setHeader(b"content-length", b"%d" % len(response.body))
        request.write(response.body)
        request.finish()


class ShadowRequest(Request):
    """A copy of a request that keeps its response instead of writing it to a connection.

    The wrapper renders it when it must see or repeat what the engine answered before the client does.
    """

    def __init__(self, original: IRequest) -> None:
        # No channel: nothing is written anywhere; what a resource reads is copied.
        Componentized.__init__(self)  # what Request.__init__ would do, without its channel
        self.notifications = []
        self.channel = None
        self.transport = None
        self.queued = False
        self.done: Deferred[Response] = Deferred()
        self._chunks: list[bytes] = []
        self.client = original.client
        self.host = original.host
        self.site = getattr(original, "site", None)
        self._forceSSL = original.isSecure()
        self.method = original.method
        self.uri = original.uri
        self.path = original.path
        self.clientproto = original.clientproto
        self.args = {key: list(values) for key, values in (original.args or {}).items()}
        self.prepath = list(original.prepath)
        self.postpath = list(original.postpath)
        self.requestHeaders = Headers(dict(original.requestHeaders.getAllRawHeaders()))
        self.responseHeaders = Headers()
        self.received_cookies = dict(original.received_cookies)
        self.cookies = []
        self.body_too_large = getattr(original, "body_too_large", False)
        content = original.content
        position = content.tell() if content is not None else 0
        self.content = BytesIO(content.read() if content is not None else b"")
        if content is not None:
            content.seek(position)

    def write(self, data: bytes) -> None:
        self.startedWriting = 1
        self._chunks.append(data)

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = 1
        headers = Headers(dict(self.responseHeaders.getAllRawHeaders()))
        self.done.callback(Response(self.code, headers, b"".join(self._chunks)))
        for notification in self.notifications:
            notification.callback(None)
        self.notifications = []


def response_fields(response: Response) -> dict[str, Any]:
    """What the engine did, read from a response of either dialect: order ids, status, refusal code.

    ``engine_status`` is the status the engine answered (``http_status``, its old name, is kept for one
    release); what the client got instead is the wrapper's ``client_status``."""
    fields: dict[str, Any] = {"engine_status": response.status, "http_status": response.status}
    try:
        body = json.loads(response.body)
    except ValueError:
        return {**fields, "engine_effect": f"answered {response.status}"}
    if not isinstance(body, dict):
        return {**fields, "engine_effect": f"answered {response.status}"}
    order_id = body.get("order_id", body.get("orderId"))
    client_order_id = body.get("client_order_id", body.get("clientOrderId"))
    error = body.get("error")
    if order_id is not None:
        fields["order_id"] = str(order_id)
    if isinstance(client_order_id, str):
        fields["client_order_id"] = client_order_id
    if isinstance(error, dict):
        fields["engine_effect"] = f"refused: {error.get('code')}"
    elif response.status >= 400:
        fields["engine_effect"] = f"refused: {body.get('code', response.status)}"
    elif order_id is not None:
        fields["engine_effect"] = f"order {order_id} {body.get('status', 'accepted')}"
    else:
        fields["engine_effect"] = f"answered {response.status}"
    return fields


class RequestEffect:
    """One fault acting on the rest layer; ``before`` acts at pre_engine, ``after`` at post_engine.

    Each returns a verdict, or None to let the request or response through untouched.
    """

    def __init__(self, fault: Fault, scope: Scope) -> None:
        self.fault = fault
        self.scope = scope
        self.clock = fault.clock
        self.rng = scope.rng

    def before(self, call: RestCall) -> Verdict | None:
        raise NotImplementedError(f"failure mode {self.fault.mode.name} does not act at pre_engine")

    def after(self, call: RestCall, response: Response) -> Verdict | None:
        raise NotImplementedError(f"failure mode {self.fault.mode.name} does not act at post_engine")
