"""The moving markets under ``/api/v1/admin/market``: read them, pause and resume one, change its model's
volatility and drift, make its fair price jump (a flash crash when negative).

``AdminAPI`` checks the admin token and the peer before any route here; every change that took effect
is logged and is an event of the fault ``admin`` in the audit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from klein import Klein
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from ...engine import Exchange
from ...failures.audit import AuditLog
from ...marketdata.clock import MarketClock
from ...marketdata.conditions import ConditionError, parse_condition
from ...marketdata.service import MAX_JUMP_MS, MovingMarket
from ..errors import ApiError
from ..klein_errors import answer_errors_as_json
from ..native.parsing import instrument_of
from ..requests import check_fields, json_body, json_int
from ..responses import respond
from .conditions import ConditionsAdmin

__all__ = ["MarketAdmin"]


class MarketAdmin:
    """The routes; the moving ``markets`` (of ``exchange``'s instruments) are what they act on, a jump
    is a crash condition added through ``conditions``, and ``audit`` records each change at the market
    time of ``clock``."""

    app = Klein()
    answer_errors_as_json(app)
    log = Logger()

    def __init__(
        self,
        max_body_bytes: int,
        exchange: Exchange,
        markets: Mapping[str, MovingMarket],
        conditions: ConditionsAdmin,
        clock: MarketClock,
        audit: AuditLog,
    ) -> None:
        self._max_body_bytes = max_body_bytes
        self._exchange = exchange
        self._markets = markets
        self._conditions = conditions
        self._clock = clock
        self._audit = audit
        self._crashes = 0  # flash crashes asked for: each becomes the condition crash-N

    def resource(self) -> IResource:
        return self.app.resource()

    @app.route("/", methods=["GET"], strict_slashes=False)
    def market_status(self, request: IRequest) -> bytes:
        return respond(request, {"markets": [self._market_of(symbol) for symbol in self._markets]})

    @app.route("/pause", methods=["POST"])
    def pause(self, request: IRequest) -> bytes:
        market, _ = self._control(request)
        market.stop()
        return self._controlled(request, "pause", market, {})

    @app.route("/resume", methods=["POST"])
    def resume(self, request: IRequest) -> bytes:
        market, _ = self._control(request)
        market.start()
        return self._controlled(request, "resume", market, {})

    @app.route("/parameters", methods=["POST"])
    def parameters(self, request: IRequest) -> bytes:
        """Change a symbol's volatility and/or drift (per year) from now on."""
        market, body = self._control(request, ("volatility", "drift"))
        changes = {
            name: _number(body, name) for name in ("volatility", "drift") if body.get(name) is not None
        }
        try:
            market.model.set_parameters(**changes)
        except ValueError as error:
            raise ApiError(400, "INVALID_PARAMETER", str(error), next(iter(changes), "volatility")) from None
        return self._controlled(request, "parameters", market, changes)

    @app.route("/jump", methods=["POST"])
    def jump(self, request: IRequest) -> bytes:
        """Move a symbol's fair price by ``fraction`` over ``duration_ms`` (a flash crash when negative)."""
        market, body = self._control(request, ("fraction", "duration_ms"), required=("fraction",))
        duration = json_int(body.get("duration_ms", Decimal(0)), "duration_ms", low=0, high=MAX_JUMP_MS)
        fraction = _number(body, "fraction")
        raw = {"kind": "crash", "symbol": market.symbol, "factor": fraction, "duration": duration}
        try:
            spec = parse_condition(self._crash_name(), raw, self._markets)
        except ConditionError as error:
            key, reason = error.problems[0]
            raise ApiError(400, "INVALID_PARAMETER", reason, "fraction" if key == "factor" else key) from None
        self._conditions.add(spec)  # a crash condition from now: it moves the price on the next tick
        return self._controlled(request, "jump", market, {"fraction": fraction, "duration_ms": duration})

    def _crash_name(self) -> str:
        """The next ``crash-N`` no condition holds (one added through ``/conditions`` may hold it)."""
        self._crashes += 1
        while self._conditions.taken(f"crash-{self._crashes}"):
            self._crashes += 1
        return f"crash-{self._crashes}"

    def _control(
        self, request: IRequest, fields: tuple[str, ...] = (), required: tuple[str, ...] = ()
    ) -> tuple[MovingMarket, dict[str, Any]]:
        """The market a control request names, and its body, after the token and field checks."""
        body = json_body(request, self._max_body_bytes)
        check_fields(body, ("symbol", *fields), required=("symbol", *required))
        symbol = instrument_of(self._exchange, body["symbol"]).symbol
        market = self._markets.get(symbol)
        if market is None:
            raise ApiError(409, "NO_MARKET_DATA", f"{symbol} has no moving market in this run", "symbol")
        return market, body

    def _controlled(
        self, request: IRequest, action: str, market: MovingMarket, params: dict[str, Any]
    ) -> bytes:
        """Log and audit a control action that took effect, and answer with the market's state."""
        self.log.info(
            "market control: {action} {symbol} {params}", action=action, symbol=market.symbol, params=params
        )
        self._audit.control(self._clock.now_ms(), f"market_{action}", symbol=market.symbol, **params)
        return respond(request, self._market_of(market.symbol))

    def _market_of(self, symbol: str) -> dict[str, Any]:
        market = self._markets[symbol]
        instrument = self._exchange.instrument(symbol)
        return {
            "symbol": symbol,
            "model": market.model_name,
            "paused": market.paused,
            "fair_price": instrument.format_price(market.fair),
            "volatility": repr(market.model.volatility),
            "drift": repr(market.model.drift),
        }


def _number(body: dict[str, Any], name: str) -> float:
    """A JSON number or decimal string as a float (a model parameter, not money)."""
    value = body[name]
    try:
        number = float(Decimal(value)) if isinstance(value, (str, Decimal)) else None
    except ArithmeticError:
        number = None
    if number is None or not math.isfinite(number):
        raise ApiError(400, "INVALID_PARAMETER", f"{name} must be a number", name)
    return number
