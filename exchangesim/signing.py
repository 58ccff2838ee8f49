"""Request signatures of the native API, shared by the server and ``exchangesim.client``.

A signed request carries ``X-API-Key``, ``X-Timestamp`` (epoch milliseconds) and ``X-Signature``: the
hex HMAC-SHA256, keyed with the API secret, of ``timestamp + METHOD + path?query + body`` exactly as sent.
The WebSocket ``auth`` operation signs ``timestamp + "GET" + "/ws"``. The Binance dialect signs the raw
query string or form body itself (``sign_payload``).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["payload_signature_matches", "sign", "sign_payload", "signature_matches"]


def sign(secret: str, timestamp_ms: int, method: str, path: str, body: bytes = b"") -> str:
    """The hex signature of one request."""
    return sign_payload(secret, f"{timestamp_ms}{method.upper()}{path}".encode() + body)


def sign_payload(secret: str, payload: bytes) -> str:
    """The hex HMAC-SHA256 of ``payload`` keyed with ``secret``."""
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


def payload_signature_matches(signature: str, secret: str, payload: bytes) -> bool:
    """Whether ``signature`` is the hex HMAC-SHA256 of ``payload``; compared in constant time."""
    expected = sign_payload(secret, payload)
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode("ascii", "replace"))


def signature_matches(
    signature: str, secret: str, timestamp_ms: int, method: str, path: str, body: bytes = b""
) -> bool:
    """Whether ``signature`` signs this request; compared in constant time."""
    return payload_signature_matches(
        signature, secret, f"{timestamp_ms}{method.upper()}{path}".encode() + body
    )
