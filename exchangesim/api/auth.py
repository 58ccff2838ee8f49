"""Who is asking: API keys (``credentials``) and signatures select an account; the admin token guards
admin routes."""

from __future__ import annotations

import heapq
import hmac
import ipaddress
import re
import weakref

from twisted.internet.interfaces import IReactorTime
from twisted.web.iweb import IRequest

from ..credentials import ApiKey, KeyStore
from ..signing import payload_signature_matches, signature_matches
from .errors import ApiError

__all__ = ["Authenticator", "check_admin", "require_admin"]

_EPOCH_MS = re.compile(r"[0-9]{1,16}")


class _UsedSignatures:
    """Signatures already accepted, each kept until its timestamp leaves the receive window.

    Only signatures that verified are kept, so only key holders add entries, and an entry is forgotten
    once a replay of it would be refused for its timestamp anyway: memory is bounded by the requests
    signed within one window.
    """

    def __init__(self) -> None:
        self._expiry: dict[tuple[str, str], int] = {}
        self._queue: list[tuple[int, tuple[str, str]]] = []  # (expiry, entry): the earliest first

    def __len__(self) -> int:
        return len(self._expiry)

    def __contains__(self, entry: tuple[str, str]) -> bool:
        return entry in self._expiry

    def add(self, entry: tuple[str, str], expires_ms: int) -> None:
        """Remember ``entry`` until ``expires_ms`` (epoch milliseconds) has passed."""
        self._expiry[entry] = expires_ms
        heapq.heappush(self._queue, (expires_ms, entry))

    def forget_expired(self, now_ms: int) -> None:
        """Drop the entries whose timestamps are outside the window at ``now_ms``."""
        queue = self._queue
        while queue and queue[0][0] < now_ms:
            expires_ms, entry = heapq.heappop(queue)
            if self._expiry.get(entry) == expires_ms:
                del self._expiry[entry]


class Authenticator:
    """Maps a request to the account it may act for, checking its key (in ``keys``), signature and
    receive window.

    A signature is good once: the route that acts on a request ``admit``s it, which uses its signature
    up until the signed timestamp leaves the receive window; a repeat is refused (REPLAYED_SIGNATURE).
    A request's signature is computed once: one that ``authenticate`` proved (the rate limit, charging
    its key) is only used up by ``admit``, its timestamp checked again.
    """

    def __init__(
        self,
        clock: IReactorTime,
        keys: KeyStore,
        *,
        anonymous_account: str | None,
        require_signature: bool,
        recv_window_ms: int,
    ) -> None:
        self._clock = clock
        self.keys = keys
        self._anonymous_account = anonymous_account
        self._require_signature = require_signature
        self._recv_window_ms = recv_window_ms
        self._used = _UsedSignatures()
        self._proven: weakref.WeakKeyDictionary[IRequest, None] = weakref.WeakKeyDictionary()

    @property
    def used_signatures(self) -> int:
        """How many signatures are remembered now (they expire with the receive window)."""
        return len(self._used)

    @staticmethod
    def signs(api_key: ApiKey, payload: bytes, signature: str) -> bool:
        """Whether ``signature`` is ``api_key``'s HMAC-SHA256 of ``payload`` (a dialect's raw request)."""
        return payload_signature_matches(signature, api_key.secret, payload)

    def account_of(self, request: IRequest) -> str | None:
        """Who ``request`` says it acts for, unverified (fault targeting, not authorization)."""
        key_header = request.getHeader(b"x-api-key")
        if key_header is None:
            return self._anonymous_account
        return self.keys.owner_of(key_header.decode("utf-8", "replace"))

    def authenticate(self, request: IRequest) -> str:
        """The account ``request`` acts for, without using its signature up (to charge rate limits);
        raises ``ApiError`` (401) when it may not act at all, a replayed signature included."""
        return self._check_request(request, spend=False)

    def admit(self, request: IRequest) -> str:
        """The account ``request`` acts for, using its signature up: the route acting on it calls this,
        and the same signature is refused from then until its timestamp leaves the receive window."""
        return self._check_request(request, spend=True)

    def _check_request(self, request: IRequest, spend: bool) -> str:
        key_header = request.getHeader(b"x-api-key")
        if key_header is None:
            if self._anonymous_account is None:
                raise ApiError(401, "UNAUTHENTICATED", "send an X-API-Key header", "x-api-key")
            return self._anonymous_account
        signature = request.getHeader(b"x-signature")
        if signature is None and not self._require_signature:
            return self._known(key_header.decode("utf-8", "replace")).account
        body = request.content.read()
        request.content.seek(0)
        account = self.verify(
            key_header.decode("utf-8", "replace"),
            (request.getHeader(b"x-timestamp") or b"").decode("ascii", "replace"),
            (signature or b"").decode("ascii", "replace"),
            request.method.decode("ascii"),
            request.uri.decode("utf-8", "replace"),
            body,
            spend=spend,
            proven=request in self._proven,
        )
        if not spend:
            self._proven[request] = None
        return account

    def verify(
        self,
        key: str,
        timestamp: str,
        signature: str,
        method: str,
        target: str,
        body: bytes = b"",
        *,
        spend: bool = True,
        proven: bool = False,
    ) -> str:
        """The account of ``key`` when ``signature`` signs the request within the receive window and was
        not used before; ``spend`` uses it up (the WebSocket ``auth`` operation, a route acting);
        ``proven``: this very request's signature was checked already."""
        api_key = self._known(key)
        if not signature:
            raise ApiError(401, "SIGNATURE_REQUIRED", "this server requires signed requests", "x-signature")
        if not _EPOCH_MS.fullmatch(timestamp):
            raise ApiError(401, "INVALID_TIMESTAMP", "X-Timestamp must be epoch milliseconds", "x-timestamp")
        now_ms = int(self._clock.seconds() * 1000)
        if abs(now_ms - int(timestamp)) > self._recv_window_ms:
            raise ApiError(
                401,
                "TIMESTAMP_OUTSIDE_WINDOW",
                f"X-Timestamp is more than {self._recv_window_ms} ms from the server's time {now_ms}",
                "x-timestamp",
                server_time=now_ms,
            )
        if not proven and not signature_matches(
            signature, api_key.secret, int(timestamp), method, target, body
        ):
            raise ApiError(
                401, "INVALID_SIGNATURE", "the signature does not match the request", "x-signature"
            )
        used = self._used
        used.forget_expired(now_ms)
        entry = (api_key.key, signature.strip().lower())
        if entry in used:
            raise ApiError(
                401,
                "REPLAYED_SIGNATURE",
                "this signature was already used; sign every request anew with a fresh X-Timestamp",
                "x-signature",
            )
        if spend:
            used.add(entry, int(timestamp) + self._recv_window_ms)
        return api_key.account

    def _known(self, key: str) -> ApiKey:
        api_key = self.keys.lookup(key)
        if api_key is None:
            raise ApiError(401, "INVALID_API_KEY", "unknown API key", "x-api-key")
        return api_key


def require_admin(request: IRequest, token: str, allow_remote: bool) -> None:
    """Refuse an admin request without the token (401), or from a non-loopback peer unless allowed (403)."""
    host = getattr(request.getClientAddress(), "host", None)
    given = request.getHeader(b"x-admin-token") or b""
    check_admin(given, host, token, allow_remote, "x-admin-token")


def check_admin(given: bytes, host: str | None, token: str, allow_remote: bool, field: str) -> None:
    """Refuse ``given`` unless it is the admin token (401), and a non-loopback ``host`` unless allowed."""
    if not allow_remote and not _is_loopback(host):
        raise ApiError(403, "ADMIN_LOOPBACK_ONLY", "admin requests are accepted from loopback only", "peer")
    if not given:
        reason = (
            f"no admin token: send it in {field} ([server] admin_token, or the one the daemon logged at"
            " start when that is empty)"
        )
        raise ApiError(401, "INVALID_ADMIN_TOKEN", reason, field)
    if not hmac.compare_digest(given, token.encode("utf-8")):
        reason = (
            f"wrong admin token in {field}: it is not this daemon's [server] admin_token (nor, when that is"
            " empty, the one it logged at start)"
        )
        raise ApiError(401, "INVALID_ADMIN_TOKEN", reason, field)


def _is_loopback(host: str | None) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback
