"""The control API under ``/api/v1/admin`` (the admin token, from loopback unless allowed): accounts,
markets, market conditions, the market clock and faults, one module each; ``access`` is the guard."""

from .access import AdminGuard
from .root import AdminAPI

__all__ = ["AdminAPI", "AdminGuard"]
