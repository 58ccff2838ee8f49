"""The hot routes answered from a table in front of Klein: the same answers as Klein's, errors included."""

import json

import pytest
from klein import Klein
from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.logger import capturedLogs
from twisted.web.server import NOT_DONE_YET, Request
from twisted.web.test.requesthelper import DummyChannel

from exchangesim.api.errors import ApiError
from exchangesim.api.exact_routes import ExactRoutes, route_table
from exchangesim.api.klein_errors import answer_errors_as_json, answer_failure
from exchangesim.config import AccountConfig, Config, seal
from exchangesim.service import native_rest
from exchangesim.signing import sign
from exchangesim.venue import open_venue

BOB_KEY, BOB_SECRET = "bob-key-0001", "bob-secret"
ORDER = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "50000"}


def _venue_http(through_table: bool) -> tuple[StubTreq, Clock]:
    config = Config()
    config.named_accounts["bob"] = AccountConfig(api_key=BOB_KEY, api_secret=BOB_SECRET)
    clock = Clock()
    clock.advance(1_700_000_000)
    api = native_rest(open_venue(seal(config), clock))
    return StubTreq(api.resource() if through_table else api.app.resource()), clock


def _now(deferred):
    """What a Deferred that already fired holds (StubTreq answers at once)."""
    results = []
    deferred.addBoth(results.append)
    (result,) = results
    return result


def _answer(http, method, path, body, headers):
    response = _now(http.request(method, f"http://127.0.0.1{path}", data=body, headers=headers))
    content = _now(response.content())
    head = {name: values for name, values in response.headers.getAllRawHeaders() if name.lower() != b"date"}
    return response.code, head, content


def _json(body):
    return json.dumps(body).encode()


JSON = {"Content-Type": "application/json"}
REQUESTS = [
    ("POST", "/orders", _json(ORDER), JSON),
    ("POST", "/orders", _json({**ORDER, "side": "SELL", "price": "49000"}), JSON),
    ("POST", "/orders", _json({**ORDER, "client_order_id": "caf\u00e9"}), JSON),
    ("POST", "/orders", b"{not json", JSON),
    ("POST", "/orders", _json(ORDER), {"Content-Type": "text/plain"}),
    ("POST", "/orders", _json({**ORDER, "colour": "red"}), JSON),
    ("POST", "/orders", _json({**ORDER, "symbol": "NOPE/USD"}), JSON),
    ("POST", "/orders", _json({**ORDER, "quantity": "1000000"}), JSON),
    ("POST", "/orders?symbol=BTC/USD", _json(ORDER), JSON),
    ("POST", "/orders", _json(ORDER), {**JSON, "X-API-Key": "unknown-key-0001"}),
    ("GET", "/orders", None, {}),
    ("GET", "/orders?status=ALL&symbol=BTC/USD", None, {}),
    ("GET", "/orders?status=SOMETIMES", None, {}),
    ("GET", "/orders/1", None, {}),
    ("GET", "/orders/3", None, {}),
    ("GET", "/orders/999", None, {}),
    ("GET", "/orders/abc", None, {}),
    ("GET", "/orders/%31", None, {}),
    ("GET", "/orders/1%2Freplace", None, {}),
    ("GET", "/orders/", None, {}),
    ("GET", "/orders//1", None, {}),
    ("GET", "/orders/by-client-id/caf%C3%A9", None, {}),
    ("GET", "/orders/by-client-id/nobody", None, {}),
    ("GET", "/orders/by-client-id", None, {}),
    ("HEAD", "/orders/3", None, {}),
    ("PUT", "/orders", _json(ORDER), JSON),
    ("PATCH", "/orders/3", None, {}),
    ("POST", "/orders/3/replace", _json({"price": "49500"}), JSON),
    ("POST", "/orders/3/replace", _json({}), JSON),
    ("GET", "/orders/3/replace", None, {}),
    ("DELETE", "/orders/3", b"{}", JSON),
    ("DELETE", "/orders/3", None, {}),
    ("DELETE", "/orders/3", None, {}),
    ("DELETE", "/orders?symbol=BTC/USD", None, {}),
    ("GET", "/health", None, {}),
    ("GET", "/balance", None, {}),
    ("GET", "/no-such-thing", None, {}),
]


def test_every_answer_is_the_one_klein_gives():
    """Each request goes to two identical venues, one behind the table and one behind Klein alone."""
    (table, clock), (klein, _) = _venue_http(through_table=True), _venue_http(through_table=False)
    signed = []
    for method, path, body in (("POST", "/orders", _json(ORDER)), ("GET", "/orders/4", None)):
        timestamp = int(clock.seconds() * 1000)
        headers = {
            "X-API-Key": BOB_KEY,
            "X-Timestamp": str(timestamp),
            "X-Signature": sign(BOB_SECRET, timestamp, method, path, body or b""),
            **(JSON if body else {}),
        }
        signed += [(method, path, body, headers)] * 2  # the second time, a replayed signature
    answers = []
    for method, path, body, headers in REQUESTS + signed:
        answer = _answer(table, method, path, body, headers)
        assert answer == _answer(klein, method, path, body, headers), (method, path)
        answers.append(answer[0])
    assert {201, 200, 400, 401, 404, 405, 415} <= set(answers)  # the requests reach every kind of answer


class _Routes:
    app = Klein()
    answer_errors_as_json(app)

    @app.route("/items/<item_id>", methods=["GET"])
    def item(self, request, item_id):
        if item_id == "refused":
            raise ApiError(400, "INVALID_PARAMETER", "refused", "item_id")
        if item_id == "bug":
            raise ZeroDivisionError
        return item_id.encode()

    @app.route("/items", methods=["GET"])
    def items(self, request):
        return b"all"


def _render(resource, method, *segments):
    """A request for ``segments`` rendered by ``resource``, and what ``render`` returned."""
    channel = DummyChannel()
    request = Request(channel)
    request.sent = channel.transport.written  # the channel is let go of once the answer is finished
    request.method, request.clientproto = method, b"HTTP/1.1"
    request.uri = request.path = b"/" + b"/".join(segments)
    request.prepath, request.postpath = [], list(segments)
    return request, resource.render(request)


def test_a_route_in_the_table_answers_at_once_and_the_others_through_klein():
    resource = ExactRoutes(_Routes().app, ["item"], answer_failure())
    assert _render(resource, b"GET", b"items", b"7")[1] == b"7"  # no Deferred: the bytes themselves
    request, rendered = _render(resource, b"GET", b"items")
    assert rendered is NOT_DONE_YET and b"\r\nall\r\n" in request.sent.getvalue()  # chunked
    request, rendered = _render(resource, b"HEAD", b"items", b"7")  # werkzeug's HEAD of a GET route
    assert rendered is NOT_DONE_YET


def test_what_a_route_in_the_table_raises_gets_the_apps_json_errors():
    resource = ExactRoutes(_Routes().app, ["item"], answer_failure())
    request, rendered = _render(resource, b"GET", b"items", b"refused")
    assert request.code == 400 and json.loads(rendered)["error"]["code"] == "INVALID_PARAMETER"
    with capturedLogs() as events:
        request, rendered = _render(resource, b"GET", b"items", b"bug")
    assert request.code == 500 and json.loads(rendered)["error"]["code"] == "INTERNAL"
    assert [event["log_failure"].type for event in events] == [ZeroDivisionError]


def test_the_table_refuses_routes_it_could_answer_differently_from_klein():
    app = Klein()
    app.route("/orders/<order_id>", methods=["GET"], endpoint="order")(lambda request, order_id: b"")
    app.route("/orders/open", methods=["GET"], endpoint="open")(lambda request: b"")  # werkzeug prefers it
    app.route("/orders/<order_id>", methods=["DELETE"], endpoint="cancel")(lambda request, order_id: b"")
    app.route("/orders/<int:number>/fills", methods=["GET"], endpoint="fills")(lambda request, number: b"")
    app.route("/files", branch=True, endpoint="files")(lambda request: b"")
    with pytest.raises(ValueError, match="can match the same request"):
        route_table(app.url_map, ["order"])
    with pytest.raises(ValueError, match="only literal segments"):
        route_table(app.url_map, ["fills"])
    with pytest.raises(ValueError, match="only literal segments"):
        route_table(app.url_map, ["files_branch"])
    with pytest.raises(ValueError, match="no route named orders"):
        route_table(app.url_map, ["orders"])
    (cancel,) = route_table(app.url_map, ["cancel"])[(b"DELETE", 2)]  # another method: no overlap
    assert (cancel.literals, cancel.parameters) == (((0, b"orders"),), ((1, "order_id"),))
