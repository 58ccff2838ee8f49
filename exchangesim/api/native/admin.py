"""Account and market control under ``/api/v1/admin``: the admin token, from loopback unless allowed."""

from __future__ import annotations

import math
import secrets
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from klein import Klein
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from ...config import (
    DEFAULT_ACCOUNT,
    FEE_ACCOUNT,
    LIMIT_ACCOUNT,
    MAKER_ACCOUNT,
    TAKER_ACCOUNT,
    SettingError,
    parse_balances,
)
from ...engine import parse_amount
from ...marketdata.conditions import ConditionError, parse_condition
from ...marketdata.service import MAX_JUMP_MS
from ...venue import Venue
from ..auth import ApiKey
from ..errors import ApiError
from ..klein_errors import answer_errors_as_json
from ..requests import check_fields, text_field
from ..responses import respond
from .admin_access import admin_body, authorize_admin
from .admin_clock import ClockAdmin
from .admin_conditions import ConditionsAdmin
from .admin_failures import FailuresAdmin
from .parsing import instrument_of
from .render import render_balances

if TYPE_CHECKING:
    from ...marketdata.service import MovingMarket

__all__ = ["AdminAPI"]

_KEPT_ACCOUNTS = {
    DEFAULT_ACCOUNT: "the default account",
    FEE_ACCOUNT: "the fee account",
    MAKER_ACCOUNT: "the market maker's account",
    TAKER_ACCOUNT: "the takers' account",
    LIMIT_ACCOUNT: "the limit traders' account",
}
"""The simulator's own accounts, which the admin API does not remove."""


class AdminAPI:
    """Create, fund and reset accounts, and steer the markets; every route checks the token and peer first."""

    app = Klein()
    answer_errors_as_json(app)
    log = Logger()

    def __init__(self, venue: Venue) -> None:
        self._venue = venue
        self._exchange = venue.exchange
        self._failures = FailuresAdmin(venue)
        self._conditions = ConditionsAdmin(venue)
        self._clock = ClockAdmin(venue)
        self._crashes = 0  # flash crashes asked for: each becomes the condition crash-N

    def resource(self) -> IResource:
        return self.app.resource()

    def _authorize(self, request: IRequest) -> None:
        authorize_admin(self._venue, request)

    def _body(self, request: IRequest) -> dict[str, Any]:
        return admin_body(self._venue, request)

    @app.route("/failures", branch=True)
    def failures(self, request: IRequest) -> IResource:
        return self._failures.resource()

    @app.route("/conditions", branch=True)
    def conditions(self, request: IRequest) -> IResource:
        return self._conditions.resource()

    @app.route("/clock", branch=True)
    def clock(self, request: IRequest) -> IResource:
        return self._clock.resource()

    @app.route("/accounts", methods=["GET"])
    def list_accounts(self, request: IRequest) -> bytes:
        self._authorize(request)
        authenticator = self._venue.authenticator
        accounts = [
            {"name": name, "api_keys": [key.key for key in authenticator.keys_of(name)]}
            for name in self._exchange.account_names()
        ]
        return respond(request, {"accounts": accounts})

    @app.route("/accounts", methods=["POST"])
    def create_account(self, request: IRequest) -> bytes:
        body = self._body(request)
        check_fields(body, ("name", "balances", "api_key", "api_secret"), required=("name",))
        name = text_field(body, "name")
        balances = self._balances(body.get("balances"))
        api_key = ApiKey(
            name,
            text_field(body, "api_key", secrets.token_hex(16)),
            text_field(body, "api_secret", secrets.token_hex(32)),
        )
        if self._venue.authenticator.owner_of(api_key.key) is not None:
            raise ApiError(409, "DUPLICATE_API_KEY", "another account has this API key", "api_key")
        self._exchange.open_account(name)
        self._venue.authenticator.register(api_key)
        self._venue.fund(name, balances)
        payload = {
            "name": name,
            "api_key": api_key.key,
            "api_secret": api_key.secret,
            **self._balances_of(name),
        }
        return respond(request, payload, 201)

    @app.route("/accounts/<name>/fund", methods=["POST"])
    def fund(self, request: IRequest, name: str) -> bytes:
        body = self._body(request)
        check_fields(body, ("asset", "amount"), required=("asset", "amount"))
        self._exchange.deposit(
            name, text_field(body, "asset"), parse_amount(body["amount"]), ts=self._venue.now_ms()
        )
        return respond(request, {"name": name, **self._balances_of(name)})

    @app.route("/accounts/<name>/reset", methods=["POST"])
    def reset(self, request: IRequest, name: str) -> bytes:
        """Cancel the account's orders and set its balances anew (given, or the default balance)."""
        body = self._body(request)
        check_fields(body, ("balances",))
        balances = self._balances(body.get("balances"))
        now = self._venue.now_ms()
        self._exchange.cancel_all(name, ts=now)
        for asset, view in self._exchange.balances(name).items():
            if view.available:
                self._exchange.withdraw(name, asset, view.available, ts=now)
        self._venue.fund(name, balances)
        return respond(request, {"name": name, **self._balances_of(name)})

    @app.route("/accounts/<name>", methods=["DELETE"])
    def remove(self, request: IRequest, name: str) -> bytes:
        """Remove an account made at run time: cancel its orders, withdraw its balances, close it and
        forget its keys (the simulator's own and the configured accounts stay)."""
        self._authorize(request)
        if name in _KEPT_ACCOUNTS or name in self._venue.config.named_accounts:
            what = _KEPT_ACCOUNTS.get(name, f"configured in [account:{name}]")
            reason = f"{name} is {what}; only accounts made at run time can be removed"
            raise ApiError(409, "ACCOUNT_RESERVED", reason, "name")
        now = self._venue.now_ms()
        canceled = len(self._exchange.open_orders(name))
        self._exchange.cancel_all(name, ts=now)
        held = self._balances_of(name)
        for asset, view in self._exchange.balances(name).items():
            if view.available:
                self._exchange.withdraw(name, asset, view.available, ts=now)
        self._exchange.close_account(name)
        self._venue.authenticator.forget(name)
        self.log.info("account {name} removed ({canceled} orders canceled)", name=name, canceled=canceled)
        return respond(request, {"removed": name, "canceled_orders": canceled, **held})

    # -- market control ----------------------------------------------------------------------------
    @app.route("/market", methods=["GET"])
    def market_status(self, request: IRequest) -> bytes:
        self._authorize(request)
        return respond(request, {"markets": [self._market_of(symbol) for symbol in self._venue.markets]})

    @app.route("/market/pause", methods=["POST"])
    def pause(self, request: IRequest) -> bytes:
        market, _ = self._control(request)
        market.stop()
        return self._controlled(request, "pause", market, {})

    @app.route("/market/resume", methods=["POST"])
    def resume(self, request: IRequest) -> bytes:
        market, _ = self._control(request)
        market.start()
        return self._controlled(request, "resume", market, {})

    @app.route("/market/parameters", methods=["POST"])
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

    @app.route("/market/jump", methods=["POST"])
    def jump(self, request: IRequest) -> bytes:
        """Move a symbol's fair price by ``fraction`` over ``duration_ms`` (a flash crash when negative)."""
        market, body = self._control(request, ("fraction", "duration_ms"), required=("fraction",))
        duration = body.get("duration_ms", Decimal(0))
        if not (isinstance(duration, Decimal) and duration == duration.to_integral_value()) or not (
            0 <= duration <= MAX_JUMP_MS
        ):
            reason = f"duration_ms must be a whole number from 0 to {MAX_JUMP_MS}"
            raise ApiError(400, "INVALID_PARAMETER", reason, "duration_ms")
        fraction = _number(body, "fraction")
        self._crashes += 1
        name = f"crash-{self._crashes}"
        raw = {"kind": "crash", "symbol": market.symbol, "factor": fraction, "duration": int(duration)}
        try:
            spec = parse_condition(name, raw, self._venue.markets)
        except ConditionError as error:
            key, reason = error.problems[0]
            raise ApiError(400, "INVALID_PARAMETER", reason, "fraction" if key == "factor" else key) from None
        self._conditions.add(spec)  # a crash condition from now: it moves the price on the next tick
        return self._controlled(request, "jump", market, {"fraction": fraction, "duration_ms": int(duration)})

    def _control(
        self, request: IRequest, fields: tuple[str, ...] = (), required: tuple[str, ...] = ()
    ) -> tuple[MovingMarket, dict[str, Any]]:
        """The market a control request names, and its body, after the token and field checks."""
        body = self._body(request)
        check_fields(body, ("symbol", *fields), required=("symbol", *required))
        symbol = instrument_of(self._exchange, body["symbol"]).symbol
        market = self._venue.markets.get(symbol)
        if market is None:
            raise ApiError(409, "NO_MARKET_DATA", f"{symbol} has no moving market in this run", "symbol")
        return market, body

    def _controlled(self, request: IRequest, action: str, market: MovingMarket, params: dict) -> bytes:
        """Log and audit a control action that took effect, and answer with the market's state."""
        self.log.info(
            "market control: {action} {symbol} {params}", action=action, symbol=market.symbol, params=params
        )
        self._venue.faults.audit.control(
            self._venue.now_ms(), f"market_{action}", symbol=market.symbol, **params
        )
        return respond(request, self._market_of(market.symbol))

    def _market_of(self, symbol: str) -> dict[str, Any]:
        market = self._venue.markets[symbol]
        instrument = self._exchange.instrument(symbol)
        return {
            "symbol": symbol,
            "model": market.model_name,
            "paused": market.paused,
            "fair_price": instrument.format_price(market.fair),
            "volatility": repr(market.model.volatility),
            "drift": repr(market.model.drift),
        }

    def _balances_of(self, name: str) -> dict[str, Any]:
        return {"balances": render_balances(self._exchange.balances(name))}

    def _balances(self, value: Any) -> dict[str, Decimal]:
        """Balances from a body (all of traded assets), or the configured default balance."""
        if value is None:
            return dict(self._venue.config.accounts.default_balance)
        if not isinstance(value, dict):
            raise ApiError(
                400, "INVALID_PARAMETER", 'balances must be an object such as {"USD": "1000"}', "balances"
            )
        try:
            balances = parse_balances(value)
        except (SettingError, ValueError) as error:
            raise ApiError(400, "INVALID_PARAMETER", f"balances: {error}", "balances") from None
        traded = self._exchange.assets()
        for asset in balances:
            if asset not in traded:
                raise ApiError(
                    400,
                    "UNKNOWN_ASSET",
                    f"no listed symbol trades {asset}; traded: {', '.join(traded)}",
                    "balances",
                )
        return balances


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
