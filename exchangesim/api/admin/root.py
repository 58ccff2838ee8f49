"""``/api/v1/admin``: the control routes, one app per thing they control, mounted side by side."""

from __future__ import annotations

from typing import Protocol

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


class _Section(Protocol):
    """One section's Klein app, mounted under its name."""

    def resource(self) -> IResource: ...


class AdminAPI:
    """Accounts, markets, market conditions, the market clock and faults; every request passes ``guard``
    (the admin token, from loopback unless ``[server] admin_allow_remote``) here, before its section's
    routes are looked at, and a section reads a body up to ``guard.max_body_bytes``. ``clock`` is the
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
        audit, limit = faults.audit, guard.max_body_bytes
        self._guard = guard
        self._accounts = AccountsAdmin(limit, exchange, keys, clock, provisioner)
        self._conditions = ConditionsAdmin(limit, market.conditions, market.markets, clock, audit)
        self._market = MarketAdmin(limit, exchange, market.markets, self._conditions, clock, audit)
        self._clock = ClockAdmin(limit, clock, market.schedule, audit, clock_mode)
        self._failures = FailuresAdmin(limit, faults, clock)

    def resource(self) -> IResource:
        return self.app.resource()

    @app.route("/accounts", branch=True)
    def accounts(self, request: IRequest) -> IResource:
        return self._guarded(request, self._accounts)

    @app.route("/market", branch=True)
    def market(self, request: IRequest) -> IResource:
        return self._guarded(request, self._market)

    @app.route("/conditions", branch=True)
    def conditions(self, request: IRequest) -> IResource:
        return self._guarded(request, self._conditions)

    @app.route("/clock", branch=True)
    def clock(self, request: IRequest) -> IResource:
        return self._guarded(request, self._clock)

    @app.route("/failures", branch=True)
    def failures(self, request: IRequest) -> IResource:
        return self._guarded(request, self._failures)

    def _guarded(self, request: IRequest, section: _Section) -> IResource:
        """``section``'s routes, once ``request`` passed the guard (a refusal is answered here)."""
        self._guard.authorize(request)
        return section.resource()
