"""Binance request signing: ``X-MBX-APIKEY``, HMAC-SHA256 of the raw parameters, ``recvWindow``."""

from __future__ import annotations

import re
from collections.abc import Callable

from twisted.web.iweb import IRequest

from ...credentials import ApiKey
from ..auth import Authenticator
from .errors import BinanceError, missing
from .params import Params

__all__ = [
    "API_KEY_HEADER",
    "account_of",
    "api_key_of",
    "authenticate",
    "check_timestamp",
    "known_key",
    "verify_signed",
]

API_KEY_HEADER = b"x-mbx-apikey"
DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60_000
AHEAD_MS = 1000  # how far a timestamp may run ahead of the server's clock, as on Binance
_HMAC_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


def api_key_of(request: IRequest) -> str | None:
    """The API key a request's ``X-MBX-APIKEY`` names, unverified (None: no header)."""
    header = request.getHeader(API_KEY_HEADER)
    return None if header is None else header.decode("utf-8", "replace")


def account_of(authenticator: Authenticator) -> Callable[[IRequest], str | None]:
    """Who a request says it acts for, unverified (fault targeting, not authorization)."""

    def of(request: IRequest) -> str | None:
        key = api_key_of(request)
        return None if key is None else authenticator.keys.owner_of(key)

    return of


def authenticate(request: IRequest, params: Params, authenticator: Authenticator, now_ms: int) -> str:
    """The account a signed request acts for, or the Binance error ccxt maps (-2014/-2015, -1021, -1022)."""
    return verify_signed(api_key_of(request), params, authenticator, now_ms)


def verify_signed(key: str | None, params: Params, authenticator: Authenticator, now_ms: int) -> str:
    """The account of API key ``key`` when ``params`` are signed by it within their ``recvWindow``."""
    api_key = known_key(key, authenticator)
    check_timestamp(params, now_ms)
    if not params.signature:
        raise missing("signature")
    if not authenticator.signs(api_key, params.payload, params.signature):
        raise _invalid_signature(params.signature)
    return api_key.account


def known_key(key: str | None, authenticator: Authenticator) -> ApiKey:
    """The credentials of API key ``key``: -2014 when none is sent, -2015 when it is unknown."""
    if not key:
        raise BinanceError(401, -2014, "API-key format invalid.")
    api_key = authenticator.keys.lookup(key)
    if api_key is None:
        raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
    return api_key


def check_timestamp(params: Params, now_ms: int) -> None:
    """Refuse a request whose ``timestamp`` is missing or outside its ``recvWindow`` (-1102, -1131, -1021)."""
    timestamp = params.whole("timestamp")
    if timestamp is None:
        raise missing("timestamp")
    window = params.whole("recvWindow", default=DEFAULT_RECV_WINDOW_MS)
    if window > MAX_RECV_WINDOW_MS:  # type: ignore[operator]
        raise BinanceError(400, -1131, f"recvWindow must be less than {MAX_RECV_WINDOW_MS}.")
    if timestamp > now_ms + AHEAD_MS:
        raise BinanceError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if now_ms - timestamp > window:  # type: ignore[operator]
        raise BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def _invalid_signature(signature: str) -> BinanceError:
    """-1022; one that is no hex HMAC-SHA256 says so, as an Ed25519 or RSA key's signature is not."""
    if _HMAC_SIGNATURE.fullmatch(signature.strip()):
        return BinanceError(400, -1022, "Signature for this request is not valid.")
    return BinanceError(
        400,
        -1022,
        "Signature for this request is not valid: the simulator's API keys are HMAC-SHA256 keys"
        " (a hex signature); Ed25519 and RSA keys are not simulated.",
    )
