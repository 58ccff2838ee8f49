"""Request signatures of the native API, shared by the server and ``exchangesim.client``.

A signed request carries ``X-API-Key``, ``X-Timestamp`` (epoch milliseconds) and ``X-Signature``: the
hex HMAC-SHA256, keyed with the API secret, of ``timestamp + METHOD + path?query + body`` exactly as sent.
The WebSocket ``auth`` operation signs ``timestamp + "GET" + "/ws"``.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign", "signature_matches"]


def sign(secret: str, timestamp_ms: int, method: str, path: str, body: bytes = b"") -> str:
    """The hex signature of one request."""
    message = f"{timestamp_ms}{method.upper()}{path}".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_matches(
    signature: str, secret: str, timestamp_ms: int, method: str, path: str, body: bytes = b""
) -> bool:
    """Whether ``signature`` signs this request; compared in constant time."""
    expected = sign(secret, timestamp_ms, method, path, body)
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode("ascii", "replace"))
