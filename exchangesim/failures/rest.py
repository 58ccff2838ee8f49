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

from .answers import PLAIN_ERRORS, FaultError, FaultErrorShape, FaultRefusedError
from .requests import Answer, Delay, Lose, Repeat, Response, RestCall, Rewrite, ShadowRequest, response_fields

if TYPE_CHECKING:
    from .controller import FaultController, RestFault
    from .fault import Fault

__all__ = ["FaultyResource"]

NOT_REACHED = {"engine_effect": "none: the request never reached the engine"}
REPLAY_REFUSED = "refused: REPLAYED_SIGNATURE"
"""The engine effect of a native request whose signature was already used: it never reached the engine."""


IGNORED_HEADER = b"X-Sim-Fault-Ignored"
"""Set on the answer to a request whose ``X-Sim-Fault-*`` headers were not applied, saying why."""


def _explain_ignored(controller: FaultController, request: IRequest) -> None:
    """A request carries a header fault that will not be applied: its answer says why, so a client
    does not take the fault's absence for the venue's behaviour."""
    if not controller.header_control:
        reason = (
            b"[failures] allow_header_control = false: X-Sim-Fault-* headers are not applied"
            b" (set it to true to allow them)"
        )
    else:
        reason = b"fault injection is halted: POST /api/v1/admin/failures/resume applies faults again"
    request.setHeader(IGNORED_HEADER, reason)


def _client_status(verdict: Delay | Answer | Lose | Rewrite, response: Response | None = None) -> int | None:
    """The status the client gets because of ``verdict`` (None: no answer at all)."""
    if isinstance(verdict, Answer):
        return verdict.status
    if isinstance(verdict, Lose) or response is None:
        return None
    return response.status


class FaultyResource(Resource):
    """Wraps one dialect's REST resource; paths under ``exempt`` (admin control) are never faulted.

    Every error a fault answers with is worded by ``error_shape``, the dialect's (see ``answers``)."""

    isLeaf = True
    log = Logger()

    def __init__(
        self,
        inner: IResource,
        controller: FaultController,
        account_of: Callable[[IRequest], str | None],
        exempt: tuple[bytes, ...] = (),
        symbol_of: Callable[[str], str] | None = None,
        error_shape: FaultErrorShape = PLAIN_ERRORS,
    ) -> None:
        """``symbol_of`` turns the dialect's symbol names into the engine's (None: they are the same)."""
        super().__init__()
        self._inner = inner
        self._controller = controller
        self._account_of = account_of
        self._exempt = exempt
        self._symbol_of = symbol_of
        self._shape = error_shape

    def render(self, request: IRequest) -> Any:
        controller = self._controller
        faults = controller.rest_faults
        if (not controller.header_control or controller.halted) and request.requestHeaders.hasHeader(
            b"x-sim-fault-mode"
        ):
            _explain_ignored(controller, request)
        if (not faults and not controller.header_control) or self._is_exempt(request.path):
            return self._inner.render(request)
        call = RestCall(request, self._account_of, self._symbol_of)
        try:
            faults = faults + controller.header_faults(request)
        except FaultRefusedError as refusal:
            call.respond(self._error_response(refusal.error))
            return NOT_DONE_YET
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
            if isinstance(verdict, Delay):
                detail = {"delay_ms": round(verdict.seconds * 1000, 3)}
            else:  # answered instead of the engine, or lost: the client got that status, or none
                detail = {**NOT_REACHED, "client_status": _client_status(verdict)}
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
                client_status=(second if verdict.answer == "second" else response).status,
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
            detail["client_status"] = _client_status(verdict, response)
            fault.record(verdict.action, scope, call, **detail)
            if isinstance(verdict, Rewrite):
                response = Response(response.status, response.headers, verdict.body)
            elif isinstance(verdict, Answer):
                response = self._response_of(verdict)
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
            call.respond(self._response_of(verdict))
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
            error = FaultError(500, "INTERNAL", "the server failed handling this request")
            call.respond(self._error_response(error))

    def _response_of(self, answer: Answer) -> Response:
        """The response an ``Answer`` verdict sends: its error in the dialect's words, or its body."""
        body = answer.body if answer.error is None else self._shape.body(answer.error)
        headers = Headers({b"content-type": [b"application/json"]})
        for name, value in answer.headers:
            headers.setRawHeaders(name, [value])
        return Response(answer.status, headers, body)

    def _error_response(self, error: FaultError) -> Response:
        return self._response_of(Answer.refusing(error, "error"))
