"""Reading requests, once for every route: JSON bodies with limits, fields, and query parameters."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from twisted.web.iweb import IRequest

from ..wire import FORM, MAX_JSON_DEPTH, json_too_deep, media_type
from .errors import ApiError

__all__ = [
    "FORM",
    "MAX_JSON_DEPTH",
    "check_fields",
    "json_body",
    "json_int",
    "json_object",
    "json_too_deep",
    "media_type",
    "query",
    "query_int",
    "read_body",
    "text_field",
]

_WHOLE = re.compile(r"[0-9]{1,9}")


def json_body(request: IRequest, max_bytes: int) -> dict[str, Any]:
    """The request's JSON object; numbers become Decimals (never floats). Raises ``ApiError``."""
    media_type, *parameters = (request.getHeader(b"content-type") or b"").lower().split(b";")
    charsets = {
        value.strip()
        for name, _, value in (p.partition(b"=") for p in parameters)
        if name.strip() == b"charset"
    }
    if media_type.strip() != b"application/json" or not charsets <= {b"utf-8", b'"utf-8"'}:
        raise ApiError(
            415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json in UTF-8", "content-type"
        )
    return json_object(read_body(request, max_bytes), "body")


def read_body(request: IRequest, max_bytes: int) -> bytes:
    """The request's raw body, refused (413) past ``max_bytes``."""
    raw = request.content.read(max_bytes + 1)
    if len(raw) > max_bytes or getattr(request, "body_too_large", False):
        raise ApiError(413, "BODY_TOO_LARGE", f"the body is larger than {max_bytes} bytes", "body")
    return raw


def json_object(raw: bytes, what: str) -> dict[str, Any]:
    """``raw`` as a UTF-8 JSON object (a request body or a WebSocket message), Decimals for numbers."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, "INVALID_JSON", f"the {what} is not UTF-8 (byte {error.start})", what) from None
    if json_too_deep(raw):
        message = f"the {what} nests arrays and objects more than {MAX_JSON_DEPTH} levels deep"
        raise ApiError(400, "INVALID_JSON", message, what)
    try:
        value = json.loads(
            text,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_keys,
        )
    except ValueError as error:
        raise ApiError(400, "INVALID_JSON", f"the {what} is not valid JSON: {error}", what) from None
    if not isinstance(value, dict):
        raise ApiError(400, "INVALID_JSON", f"the {what} must be a JSON object", what)
    return value


def text_field(body: dict[str, Any], name: str, default: str | None = None) -> str:
    """A non-empty string field; absent, it is ``default`` or a MISSING_FIELD error."""
    value = body.get(name, default)
    if value is None:
        raise ApiError(400, "MISSING_FIELD", f"{name} is required", name)
    if not isinstance(value, str) or not value:
        raise ApiError(400, "INVALID_PARAMETER", f"{name} must be a non-empty string", name)
    return value


def check_fields(body: dict[str, Any], allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    """Refuse a body with an unknown field or without a required one, naming the field."""
    allowed = set(allowed)
    for name in body:
        if name not in allowed:
            raise ApiError(
                400, "UNKNOWN_FIELD", f"unknown field {name!r}; known: {', '.join(sorted(allowed))}", name
            )
    for name in required:
        if body.get(name) is None:
            raise ApiError(400, "MISSING_FIELD", f"{name} is required", name)


def query(request: IRequest, name: str, *, required: bool = False) -> str | None:
    """One query parameter as text (the last one when repeated), or None when absent."""
    values = request.args.get(name.encode("ascii"))
    if not values:
        if required:
            raise ApiError(400, "MISSING_FIELD", f"query parameter {name} is required", name)
        return None
    try:
        return values[-1].decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "INVALID_PARAMETER", f"{name} is not UTF-8", name) from None


def query_int(request: IRequest, name: str, *, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high], ``default`` when absent."""
    text = query(request, name)
    if text is None:
        return default
    if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
        raise _out_of_range(name, low, high)
    return int(text)


def json_int(value: object, name: str, *, low: int, high: int, unit: str = "") -> int:
    """A JSON number (a Decimal, as ``json_object`` parses it) that must be a whole number within
    [low, high]; ``unit`` (``"milliseconds"``) says what it counts when it is refused."""
    if isinstance(value, Decimal) and value == value.to_integral_value() and low <= value <= high:
        return int(value)
    raise _out_of_range(name, low, high, unit)


def _out_of_range(name: str, low: int, high: int, unit: str = "") -> ApiError:
    whole = f"a whole number of {unit}" if unit else "a whole number"
    return ApiError(400, "INVALID_PARAMETER", f"{name} must be {whole} from {low} to {high}", name)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    body = dict(pairs)
    if len(body) != len(pairs):
        duplicated = next(key for index, (key, _) in enumerate(pairs) if key in dict(pairs[:index]))
        raise ValueError(f"duplicate key {duplicated!r}")
    return body
