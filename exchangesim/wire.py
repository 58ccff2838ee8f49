"""JSON and HTTP bytes as every layer reads and writes them: the API dialects and the fault wrappers
share these, so neither has to import the other for them."""

from __future__ import annotations

import json
from itertools import accumulate
from typing import Any

from twisted.web.iweb import IRequest

__all__ = ["FORM", "MAX_JSON_DEPTH", "encode", "json_too_deep", "media_type"]

FORM = b"application/x-www-form-urlencoded"
"""The media type of a form body (the Binance dialect's parameters)."""
MAX_JSON_DEPTH = 20
"""Arrays and objects nested deeper than this are refused, in every dialect, before parsing."""
_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'[]{}"')))
_STEP = {ord("["): 1, ord("]"): -1}


def encode(payload: Any) -> bytes:
    """Compact JSON bytes, for a response body or a WebSocket message (a Decimal as its string)."""
    return json.dumps(payload, separators=(",", ":"), default=str).encode("utf-8")


def media_type(request: IRequest) -> bytes:
    """The request's Content-Type without its parameters, lower case (``b""`` when it sends none)."""
    return (request.getHeader(b"content-type") or b"").split(b";")[0].strip().lower()


def json_too_deep(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests arrays and objects deeper than ``limit``, told without parsing it.

    ``json.loads`` recurses once per level: a few thousand brackets raise ``RecursionError``. This is
    one linear pass over the brackets outside strings instead. Exact for valid JSON; text that is not
    (an unmatched bracket) may count deeper than the parser would get before refusing it.
    """
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # too few brackets to nest that deep: every ordinary message
    if b"\\" in data:  # an escaped quote or backslash ends no string
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Only brackets (objects as arrays) and quotes; removing two adjacent quotes (a string without
    # brackets) leaves every other mark inside or outside a string as it was.
    marks = data.translate(_AS_BRACKETS, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in marks:  # strings holding brackets: keep what lies between them
        marks = b"".join(marks.split(b'"')[::2])
    if b"[" * (limit + 1) in marks:
        return True  # the usual attack, found without counting
    return max(accumulate(map(_STEP.__getitem__, marks)), default=0) > limit
