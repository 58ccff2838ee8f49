"""A Klein app's hot routes answered without Klein: found in a table built once, by method and path
segments, called directly, and their errors answered by the same handlers the app gives Klein.

Per request, Klein binds werkzeug's URL map, matches it, and runs the route and its answer through a
chain of Deferreds: about a quarter of the daemon's time serving an order (``bench/rest.py``), as much
as the order itself. The table holds only routes werkzeug would pick for the same request (it refuses
a route another route of the app could also match), so the way a request takes changes nothing in its
answer; every other request goes to Klein, and so does a path the table is not sure of (an empty
segment, a slash percent-encoded in a parameter, a HEAD, which werkzeug adds to each GET route).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

import attrs
from klein import Klein
from twisted.python.failure import Failure
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource
from werkzeug.routing import Map, Rule

from .klein_errors import ErrorHandler

__all__ = ["ExactRoutes", "route_table"]

RouteTable = dict[tuple[bytes, int], list["ExactRoute"]]
"""The routes by method and number of path segments."""


@attrs.frozen
class ExactRoute:
    """A route whose path is literal segments and plain ``<name>`` parameters."""

    endpoint: str
    literals: tuple[tuple[int, bytes], ...]  # (position, segment)
    parameters: tuple[tuple[int, str], ...]  # (position, name)

    def matches(self, segments: list[bytes]) -> bool:
        return all(segments[position] == literal for position, literal in self.literals)


class ExactRoutes(Resource):
    """``app``'s routes named in ``endpoints`` from the table, the others through Klein. The routes in
    the table answer synchronously with bytes; what they raise goes to ``answer_error``."""

    isLeaf = True

    def __init__(self, app: Klein, endpoints: Iterable[str], answer_error: ErrorHandler) -> None:
        super().__init__()
        self._app = app
        self._klein = app.resource()
        self._answer_error = answer_error
        self._routes = route_table(app.url_map, endpoints)

    def render(self, request: IRequest) -> Any:
        segments = request.postpath  # percent-decoded by twisted.web, as Klein gives them to werkzeug
        for route in self._routes.get((request.method, len(segments)), ()):
            if route.matches(segments):
                break
        else:
            return self._klein.render(request)
        arguments = {}
        for position, name in route.parameters:
            segment = segments[position]
            if not segment or b"/" in segment:
                return self._klein.render(request)
            try:
                arguments[name] = segment.decode("utf-8")
            except UnicodeDecodeError:
                return self._klein.render(request)
        try:
            return self._app.execute_endpoint(route.endpoint, request, **arguments)
        except Exception:
            return self._answer_error(request, Failure())


def route_table(url_map: Map, endpoints: Iterable[str]) -> RouteTable:
    """The rules of ``url_map`` named in ``endpoints`` as a table; ``ValueError`` for one that has a
    converter, or that another rule of the map could match for the same request."""
    wanted = set(endpoints)
    rules = list(url_map.iter_rules())
    missing = wanted - {rule.endpoint for rule in rules}
    if missing:
        raise ValueError(f"no route named {', '.join(sorted(missing))}")
    table: RouteTable = {}
    for rule in rules:
        if rule.endpoint not in wanted:
            continue
        segments = _segments(rule.rule)
        if any(kind in (_Kind.CONVERTED, _Kind.REST) for kind, _ in segments):
            raise ValueError(f"{rule.rule}: only literal segments and plain <name> parameters")
        for other in rules:
            if (
                other is not rule
                and _methods(other) & _methods(rule)
                and _overlap(segments, _segments(other.rule))
            ):
                raise ValueError(f"{rule.rule} and {other.rule} can match the same request")
        route = ExactRoute(
            rule.endpoint,
            tuple((i, text.encode()) for i, (kind, text) in enumerate(segments) if kind is _Kind.LITERAL),
            tuple((i, text[1:-1]) for i, (kind, text) in enumerate(segments) if kind is _Kind.PARAMETER),
        )
        for method in _methods(rule) - {"HEAD"}:
            table.setdefault((method.encode("ascii"), len(segments)), []).append(route)
    return table


class _Kind(Enum):
    """What one segment of a werkzeug rule's path matches."""

    LITERAL = "itself"
    PARAMETER = "any one segment, as <name>"
    CONVERTED = "what a converter accepts: at most one segment"
    REST = "the rest of the path, slashes included (<path:name>)"


_EVERY_METHOD = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


def _segments(path: str) -> list[tuple[_Kind, str]]:
    """The segments of a werkzeug rule's path, each with what it matches."""

    def kind(text: str) -> _Kind:
        if "<" not in text:
            return _Kind.LITERAL
        if text.startswith("<") and text.endswith(">") and text[1:-1].isidentifier():
            return _Kind.PARAMETER
        return _Kind.REST if "<path:" in text else _Kind.CONVERTED

    return [(kind(text), text) for text in path.strip("/").split("/")]


def _methods(rule: Rule) -> frozenset[str]:
    return frozenset(rule.methods) if rule.methods is not None else _EVERY_METHOD


def _overlap(route: list[tuple[_Kind, str]], other: list[tuple[_Kind, str]]) -> bool:
    """Whether a path could match both ``route`` (literals and parameters only) and ``other``."""
    rest = next((i for i, (kind, _) in enumerate(other) if kind is _Kind.REST), None)
    if rest is None and len(route) != len(other):
        return False
    if rest is not None and len(route) <= rest:  # a path parameter takes one segment at least
        return False
    return all(
        ours is not _Kind.LITERAL or theirs is not _Kind.LITERAL or mine == text
        for (ours, mine), (theirs, text) in zip(route, other[:rest], strict=False)
    )
