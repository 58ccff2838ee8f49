"""``/api/v1/admin``: the control routes, one app per thing they control, mounted side by side."""

from __future__ import annotations

from klein import Klein
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from ...credentials import KeyStore
from ...engine import Exchange
from ...failures.controller import FaultController
from ...marketdata.clock import MarketClock
from ...marketdata.service import MarketService
from ...provisioning import Provisioner
from ..klein_errors import answer_errors_as_json
from .access import AdminGuard
from .accounts import AccountsAdmin
from .clock import ClockAdmin
from .conditions import ConditionsAdmin
from .failures import FailuresAdmin
from .market import MarketAdmin

__all__ = ["AdminAPI"]


class AdminAPI:
    """Accounts, markets, market conditions, the market clock and faults; every route passes ``guard``
    first (the admin token, from loopback unless ``[server] admin_allow_remote``). ``clock`` is the
    market's, which stamps every change in the faults' audit; ``clock_mode`` is [exchange] clock."""

    app = Klein()
    answer_errors_as_json(app)

    def __init__(
        self,
        guard: AdminGuard,
        exchange: Exchange,
        keys: KeyStore,
        provisioner: Provisioner,
        market: MarketService,
        faults: FaultController,
        clock: MarketClock,
        clock_mode: str,
    ) -> None:
        audit = faults.audit
        self._accounts = AccountsAdmin(guard, exchange, keys, clock, provisioner)
        self._conditions = ConditionsAdmin(guard, market.conditions, market.markets, clock, audit)
        self._market = MarketAdmin(guard, exchange, market.markets, self._conditions, clock, audit)
        self._clock = ClockAdmin(guard, clock, market.schedule, audit, clock_mode)
        self._failures = FailuresAdmin(guard, faults, clock)

    def resource(self) -> IResource:
        return self.app.resource()

    @app.route("/accounts", branch=True)
    def accounts(self, request: IRequest) -> IResource:
        return self._accounts.resource()

    @app.route("/market", branch=True)
    def market(self, request: IRequest) -> IResource:
        return self._market.resource()

    @app.route("/conditions", branch=True)
    def conditions(self, request: IRequest) -> IResource:
        return self._conditions.resource()

    @app.route("/clock", branch=True)
    def clock(self, request: IRequest) -> IResource:
        return self._clock.resource()

    @app.route("/failures", branch=True)
    def failures(self, request: IRequest) -> IResource:
        return self._failures.resource()
