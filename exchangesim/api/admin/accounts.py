"""Accounts under ``/api/v1/admin/accounts``: list, create, fund, reset and remove them.

``AdminAPI`` checks the admin token and the peer before any route here; the simulator's own accounts
and the configured ones cannot be removed.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

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
from ...credentials import ApiKey, KeyStore
from ...engine import Exchange, parse_amount
from ...marketdata.clock import MarketClock
from ...provisioning import Provisioner
from ..errors import ApiError
from ..klein_errors import answer_errors_as_json
from ..native.render import render_balances
from ..requests import check_fields, json_body, text_field
from ..responses import respond

__all__ = ["AccountsAdmin"]

_KEPT_ACCOUNTS = {
    DEFAULT_ACCOUNT: "the default account",
    FEE_ACCOUNT: "the fee account",
    MAKER_ACCOUNT: "the market maker's account",
    TAKER_ACCOUNT: "the takers' account",
    LIMIT_ACCOUNT: "the limit traders' account",
}
"""The simulator's own accounts, which the admin API does not remove."""


class AccountsAdmin:
    """The routes; the accounts of ``exchange`` and their keys in ``keys`` are what they act on, at the
    market time of ``clock``; ``provisioner`` funds accounts and names the configured ones."""

    app = Klein()
    answer_errors_as_json(app)
    log = Logger()

    def __init__(
        self,
        max_body_bytes: int,
        exchange: Exchange,
        keys: KeyStore,
        clock: MarketClock,
        provisioner: Provisioner,
    ) -> None:
        self._max_body_bytes = max_body_bytes
        self._exchange = exchange
        self._keys = keys
        self._clock = clock
        self._provisioner = provisioner

    def resource(self) -> IResource:
        return self.app.resource()

    @app.route("/", methods=["GET"], strict_slashes=False)
    def list_accounts(self, request: IRequest) -> bytes:
        accounts = [
            {"name": name, "api_keys": [key.key for key in self._keys.keys_of(name)]}
            for name in self._exchange.account_names()
        ]
        return respond(request, {"accounts": accounts})

    @app.route("/", methods=["POST"], strict_slashes=False)
    def create_account(self, request: IRequest) -> bytes:
        body = json_body(request, self._max_body_bytes)
        check_fields(body, ("name", "balances", "api_key", "api_secret"), required=("name",))
        name = text_field(body, "name")
        balances = self._balances(body.get("balances"))
        api_key = ApiKey(
            name,
            text_field(body, "api_key", secrets.token_hex(16)),
            text_field(body, "api_secret", secrets.token_hex(32)),
        )
        if self._keys.owner_of(api_key.key) is not None:
            raise ApiError(409, "DUPLICATE_API_KEY", "another account has this API key", "api_key")
        self._exchange.open_account(name)
        self._keys.register(api_key)
        self._provisioner.fund(name, balances)
        payload = {
            "name": name,
            "api_key": api_key.key,
            "api_secret": api_key.secret,
            **self._balances_of(name),
        }
        return respond(request, payload, 201)

    @app.route("/<name>/fund", methods=["POST"])
    def fund(self, request: IRequest, name: str) -> bytes:
        body = json_body(request, self._max_body_bytes)
        check_fields(body, ("asset", "amount"), required=("asset", "amount"))
        self._exchange.deposit(
            name, text_field(body, "asset"), parse_amount(body["amount"]), ts=self._clock.now_ms()
        )
        return respond(request, {"name": name, **self._balances_of(name)})

    @app.route("/<name>/reset", methods=["POST"])
    def reset(self, request: IRequest, name: str) -> bytes:
        """Cancel the account's orders and set its balances anew (given, or the default balance)."""
        body = json_body(request, self._max_body_bytes)
        check_fields(body, ("balances",))
        balances = self._balances(body.get("balances"))
        self._exchange.cancel_all(name, ts=self._clock.now_ms())
        self._provisioner.withdraw_available(name)
        self._provisioner.fund(name, balances)
        return respond(request, {"name": name, **self._balances_of(name)})

    @app.route("/<name>", methods=["DELETE"])
    def remove(self, request: IRequest, name: str) -> bytes:
        """Remove an account made at run time: cancel its orders, withdraw its balances, close it and
        forget its keys (the simulator's own and the configured accounts stay)."""
        if name in _KEPT_ACCOUNTS or name in self._provisioner.configured_accounts:
            what = _KEPT_ACCOUNTS.get(name, f"configured in [account:{name}]")
            reason = f"{name} is {what}; only accounts made at run time can be removed"
            raise ApiError(409, "ACCOUNT_RESERVED", reason, "name")
        now = self._clock.now_ms()
        canceled = len(self._exchange.open_orders(name))
        self._exchange.cancel_all(name, ts=now)
        held = self._balances_of(name)
        self._provisioner.withdraw_available(name)
        self._exchange.close_account(name)
        self._keys.forget(name)
        self.log.info("account {name} removed ({canceled} orders canceled)", name=name, canceled=canceled)
        return respond(request, {"removed": name, "canceled_orders": canceled, **held})

    def _balances_of(self, name: str) -> dict[str, Any]:
        return {"balances": render_balances(self._exchange.balances(name))}

    def _balances(self, value: Any) -> dict[str, Decimal]:
        """Balances from a body (all of traded assets), or the configured default balance."""
        if value is None:
            return dict(self._provisioner.default_balance)
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
