"""Request signatures of the native API, shared by the server, ``exchangesim.client`` and users.

A signed request carries ``X-API-Key``, ``X-Timestamp`` (epoch milliseconds) and ``X-Signature``: the
hex HMAC-SHA256, keyed with the API secret, of the canonical request, five fields joined by ``\\n``::

    timestamp \\n METHOD \\n path \\n query \\n body

``path`` and ``query`` are the request target as sent, split at its first ``?`` (``query`` is empty when
there is none; neither is decoded or reordered), ``METHOD`` is upper case and ``body`` the raw bytes sent
(empty for none). No field but the body can hold a newline, so every signed string names one request:
parameters moved from the query into the body, or the reverse, no longer keep the signature. The
WebSocket ``auth`` operation signs ``GET`` and ``/ws`` with no query and no body
(``timestamp\\nGET\\n/ws\\n\\n``). The server accepts each signature once within its receive window.
The Binance dialect signs the raw query string or form body itself, as Binance does (``sign_payload``).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["canonical_request", "payload_signature_matches", "sign", "sign_payload", "signature_matches"]


def canonical_request(timestamp_ms: int, method: str, target: str, body: bytes = b"") -> bytes:
    """The bytes a native signature covers; ``target`` is the request target, ``path?query``."""
    path, _, query = target.partition("?")
    return f"{timestamp_ms}\n{method.upper()}\n{path}\n{query}\n".encode() + body


def sign(secret: str, timestamp_ms: int, method: str, target: str, body: bytes = b"") -> str:
    """The hex signature of one request; ``target`` is ``path?query`` exactly as sent."""
    return sign_payload(secret, canonical_request(timestamp_ms, method, target, body))


def sign_payload(secret: str, payload: bytes) -> str:
    """The hex HMAC-SHA256 of ``payload`` keyed with ``secret``."""
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


def payload_signature_matches(signature: str, secret: str, payload: bytes) -> bool:
    """Whether ``signature`` is the hex HMAC-SHA256 of ``payload``; compared in constant time."""
    expected = sign_payload(secret, payload)
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode("ascii", "replace"))


def signature_matches(
    signature: str, secret: str, timestamp_ms: int, method: str, target: str, body: bytes = b""
) -> bool:
    """Whether ``signature`` signs this request; compared in constant time."""
    return payload_signature_matches(signature, secret, canonical_request(timestamp_ms, method, target, body))
