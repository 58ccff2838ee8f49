"""What goes on the wire: request targets, decimal text, JSON decoding and client order ids."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

__all__ = [
    "Amount",
    "decimal_text",
    "decode_json",
    "encode_json",
    "new_client_order_id",
    "path_segment",
    "request_target",
]

Amount = str | Decimal | int
"""A price, quantity or amount as the caller may give it; floats are refused, they cannot hold money."""


def request_target(path: str, query: Mapping[str, object | None] | None = None) -> str:
    """``path?query`` percent-encoded once, here, so the signed target is byte for byte the one sent.

    Parameters that are None are left out; ``/`` in a value is encoded (``symbol=BTC%2FUSD``).
    """
    pairs = (
        [
            f"{quote(name, safe='')}={quote(str(value), safe='')}"
            for name, value in query.items()
            if value is not None
        ]
        if query
        else []
    )
    return f"{path}?{'&'.join(pairs)}" if pairs else path


def path_segment(value: str) -> str:
    """One path segment (an order id, a client order id), with ``/`` and ``?`` encoded."""
    return quote(str(value), safe="")


def decimal_text(name: str, value: Amount) -> str:
    """The decimal string sent for ``value``: text as given, a Decimal in plain notation, never a float."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"{name} must be a str, Decimal or int, not {type(value).__name__} (floats lose money)")


def encode_json(body: Mapping[str, Any]) -> bytes:
    """The compact JSON bytes of a request body."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode_json(raw: bytes | str) -> Any:
    """Parse UTF-8 JSON with any non-integer number as a Decimal (never a float); raises ``ValueError``."""
    return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw, parse_float=Decimal)


def new_client_order_id() -> str:
    """A fresh client order id (35 characters of ``[a-z0-9-]``), so a lost ack can be reconciled."""
    return f"cx-{uuid.uuid4().hex}"
