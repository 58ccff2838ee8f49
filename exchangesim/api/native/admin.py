"""Account control under ``/api/v1/admin``: the admin token, from loopback unless allowed otherwise."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from klein import Klein
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from ...config import SettingError, parse_balances
from ...engine import parse_amount
from ...venue import Venue
from ..auth import ApiKey, require_admin
from ..errors import ApiError
from ..klein_errors import answer_errors_as_json
from ..requests import check_fields, json_body, text_field
from ..responses import json_body as respond
from .render import render_balances

__all__ = ["AdminAPI"]


class AdminAPI:
    """Create, fund and reset accounts; every route checks the admin token and the peer first."""

    app = Klein()
    answer_errors_as_json(app)

    def __init__(self, venue: Venue) -> None:
        self._venue = venue
        self._exchange = venue.exchange

    def resource(self) -> IResource:
        return self.app.resource()

    def _body(self, request: IRequest) -> dict[str, Any]:
        server = self._venue.config.server
        require_admin(request, self._venue.admin_token, server.admin_allow_remote)
        return json_body(request, server.max_body_bytes)

    @app.route("/accounts", methods=["GET"])
    def list_accounts(self, request: IRequest) -> bytes:
        server = self._venue.config.server
        require_admin(request, self._venue.admin_token, server.admin_allow_remote)
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
