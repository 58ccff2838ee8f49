"""Ways to corrupt a JSON message without breaking its framing: the frame or body stays whole, its
content is wrong (cut short, a digit of a price or quantity flipped, a key missing, bytes not UTF-8)."""

from __future__ import annotations

import json
import random
import re

from ..wire import json_too_deep

__all__ = ["KINDS", "corrupt"]

KINDS = ("truncate", "flip_digit", "drop_key", "invalid_utf8")
_NUMBER_FIELD = re.compile(
    rb'"(?:[a-z_]*(?:price|qty|quantity|amount|size|volume)[a-z_]*|[pqPQ]|[abAB])"\s*:\s*"?-?\d',
    re.IGNORECASE,
)
_LEVELS = re.compile(rb'"(?:bids|asks|[abAB])"\s*:\s*\[', re.IGNORECASE)
"""Book levels, ``[[price, quantity], ...]``: every number in them is a price or a quantity."""
_NUMBER_START = re.compile(rb"(?<![0-9.])[0-9]")
_DIGIT = re.compile(rb"\d")


def corrupt(data: bytes, kind: str, rng: random.Random) -> tuple[bytes, str]:
    """``data`` corrupted the ``kind`` way (``any`` picks one), and the kind applied."""
    if kind == "any":  # content only: invalid UTF-8 makes strict WebSocket clients close (1007)
        kind = rng.choice(KINDS[:3])
    if kind == "drop_key":
        dropped = _drop_key(data, rng)
        if dropped is not None:
            return dropped, kind
        kind = "truncate"  # not a JSON object with keys: cut it instead
    if kind == "flip_digit":
        flipped = _flip_digit(data, rng)
        if flipped is not None:
            return flipped, kind
        kind = "truncate"
    if kind == "invalid_utf8":
        at = rng.randrange(len(data) + 1)
        return data[:at] + b"\xff\xfe" + data[at:], kind
    return data[: rng.randrange(1, len(data))] if len(data) > 1 else b"", "truncate"


def _flip_digit(data: bytes, rng: random.Random) -> bytes | None:
    """Change one digit of a price or quantity value (any digit when the message names none)."""
    starts = [match.end() - 1 for match in _NUMBER_FIELD.finditer(data)] + _level_starts(data)
    if starts:
        start = rng.choice(starts)
        end = start
        while end < len(data) and data[end : end + 1] in b"0123456789.":
            end += 1
        positions = [i for i in range(start, end) if data[i : i + 1].isdigit()]
    else:
        positions = [match.start() for match in _DIGIT.finditer(data)]
    if not positions:
        return None
    at = rng.choice(positions)
    digit = int(data[at : at + 1])
    leading = data[at - 1 : at] not in b"0123456789." and data[at + 1 : at + 2].isdigit()
    # A leading 0 would make an unquoted number invalid JSON: the number is wrong, not unreadable.
    replacement = rng.choice([d for d in range(1 if leading else 0, 10) if d != digit])
    return data[:at] + str(replacement).encode("ascii") + data[at + 1 :]


def _level_starts(data: bytes) -> list[int]:
    """Where each number inside a book's level arrays starts."""
    starts = []
    for match in _LEVELS.finditer(data):
        depth, end = 1, match.end()
        while end < len(data) and depth:
            depth += (data[end] == ord("[")) - (data[end] == ord("]"))
            end += 1
        starts += [number.start() for number in _NUMBER_START.finditer(data, match.end(), end)]
    return starts


def _drop_key(data: bytes, rng: random.Random) -> bytes | None:
    try:
        document = None if json_too_deep(data) else json.loads(data)
    except ValueError:
        return None
    if not isinstance(document, dict) or not document:
        return None
    del document[rng.choice(sorted(document))]
    return json.dumps(document, separators=(",", ":")).encode("utf-8")
