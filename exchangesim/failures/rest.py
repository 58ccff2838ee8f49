"""The request-level fault wrapper: every REST route of a dialect passes through the rest layer's faults.

Which faults hit a request is decided when it arrives (pre_engine and post_engine alike), so a request
no fault hits is rendered straight through, at the cost of a few comparisons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.http_headers import Headers
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource
from twisted.web.server import NOT_DONE_YET

from ..api.errors import ApiError
from ..api.responses import encode, error_payload, respond
from .requests import Answer, Delay, Lose, Repeat, Response, RestCall, Rewrite, ShadowRequest, response_fields

if TYPE_CHECKING:
    from .controller import FaultController, RestFault
    from .fault import Fault

__all__ = ["FaultyResource"]

NOT_REACHED = {"engine_effect": "none: the request never reached the engine"}
REPLAY_REFUSED = "refused: REPLAYED_SIGNATURE"
"""The engine effect of a native request whose signature was already used: it never reached the engine."""


class FaultyResource(Resource):
    """Wraps one dialect's REST resource; paths under ``exempt`` (admin control) are never faulted."""

    isLeaf = True
    log = Logger()

    def __init__(
        self,
        inner: IResource,
        controller: FaultController,
        account_of: Callable[[IRequest], str | None],
        exempt: tuple[bytes, ...] = (),
        symbol_of: Callable[[str], str] | None = None,
    ) -> None:
        """``symbol_of`` turns the dialect's symbol names into the engine's (None: they are the same)."""
        super().__init__()
        self._inner = inner
        self._controller = controller
        self._account_of = account_of
        self._exempt = exempt
        self._symbol_of = symbol_of

    def render(self, request: IRequest) -> Any:
        controller = self._controller
        faults = controller.rest_faults
        if (not faults and not controller.header_control) or self._is_exempt(request.path):
            return self._inner.render(request)
        call = RestCall(request, self._account_of, self._symbol_of)
        try:
            faults = faults + controller.header_faults(request)
        except ApiError as error:
            return respond(request, error.payload(), error.status)
        pre, post = [], []
        for entry in faults:
            fault, scope, _ = entry
            if fault.fires(scope, call):
                (pre if fault.spec.stage == "pre_engine" else post).append(entry)
        if not pre and not post:
            return self._inner.render(request)
        call.watch()
        served = Deferred.fromCoroutine(self._serve(call, pre, post))
        served.addErrback(self._failed, call)
        return NOT_DONE_YET

    def _is_exempt(self, path: bytes) -> bool:
        """Whether ``path`` is under an exempt prefix, percent-encoded or not (routes decode it)."""
        return (unquote_to_bytes(path) if b"%" in path else path).startswith(self._exempt)

    async def _serve(self, call: RestCall, pre: list[RestFault], post: list[RestFault]) -> None:
        repeat = None
        for fault, scope, effect in pre:
            verdict = effect.before(call)
            if verdict is None:
                continue
            if isinstance(verdict, Repeat):
                repeat = (fault, scope, verdict)
                continue
            detail = (
                {"delay_ms": round(verdict.seconds * 1000, 3)} if isinstance(verdict, Delay) else NOT_REACHED
            )
            fault.record(verdict.action, scope, call, **detail)
            if not await self._apply(call, verdict, fault):
                return
        if not post and repeat is None:
            self._render(call)
            return
        response = await self._execute(call)
        if repeat is not None:
            fault, scope, verdict = repeat
            second = await self._execute(call)
            first_effect, second_effect = response_fields(response), response_fields(second)
            # The repeat meets the checks a real retried request would: the native API refuses a
            # signature it has seen, the Binance dialect (like Binance) executes it again.
            if second_effect["engine_effect"] == REPLAY_REFUSED:
                repeat_effect = REPLAY_REFUSED
                engine_effect = f"executed once: {first_effect['engine_effect']}; the repeat {REPLAY_REFUSED}"
            else:
                repeat_effect = "executed"
                both = f"{first_effect['engine_effect']}; then {second_effect['engine_effect']}"
                engine_effect = f"executed twice: {both}"
            fault.record(
                verdict.action,
                scope,
                call,
                answered=verdict.answer,
                repeat=repeat_effect,
                engine_effect=engine_effect,
                order_id=first_effect.get("order_id"),
                duplicate_order_id=second_effect.get("order_id"),
            )
            if verdict.answer == "second":
                response = second
        for fault, scope, effect in post:
            verdict = effect.after(call, response)
            if verdict is None:
                continue
            detail = response_fields(response)
            if isinstance(verdict, Delay):
                detail["delay_ms"] = round(verdict.seconds * 1000, 3)
            if isinstance(verdict, Rewrite):
                detail.update(verdict.detail)
            fault.record(verdict.action, scope, call, **detail)
            if isinstance(verdict, Rewrite):
                response = Response(response.status, response.headers, verdict.body)
            elif isinstance(verdict, Answer):
                response = _response_of(verdict)
            elif not await self._apply(call, verdict, fault):
                return
        call.respond(response)

    async def _apply(self, call: RestCall, verdict: Delay | Answer | Lose, fault: Fault) -> bool:
        """Carry out ``fault``'s verdict; False when the request is settled (answered, lost or gone).

        A wait ends early when the fault stops acting, and lasts at most ``max_fault_duration``."""
        if isinstance(verdict, Delay):
            await self._controller.hold(fault, verdict.seconds)
            return not call.gone
        if isinstance(verdict, Answer):
            call.respond(_response_of(verdict))
            return False
        # A Lose: hold (None: hang until the client gives up, or the hold's bound), then close unanswered.
        await self._controller.hold(fault, verdict.hold)
        if not call.gone:
            call.request.transport.abortConnection()
        return False

    def _execute(self, call: RestCall) -> Deferred[Response]:
        """Render the wrapped resource on a copy of the request; fires with the response it made."""
        shadow = ShadowRequest(call.request)
        result = self._inner.render(shadow)
        if result is not NOT_DONE_YET:
            shadow.write(result)
            shadow.finish()
        return shadow.done

    def _render(self, call: RestCall) -> None:
        """Render the wrapped resource on the real request, after a pre_engine delay."""
        if call.gone:
            return
        result = self._inner.render(call.request)
        if result is not NOT_DONE_YET:
            call.request.write(result)
            call.request.finish()

    def _failed(self, failure: Any, call: RestCall) -> None:
        self.log.failure("fault injection failed on {route}", failure, route=f"{call.method} {call.path}")
        if not call.gone and not call.request.finished:
            body = encode(error_payload("INTERNAL", "the server failed handling this request"))
            call.respond(Response(500, Headers({b"content-type": [b"application/json"]}), body))


def _response_of(answer: Answer) -> Response:
    headers = Headers({b"content-type": [b"application/json"]})
    for name, value in answer.headers:
        headers.setRawHeaders(name, [value])
    return Response(answer.status, headers, answer.body)
