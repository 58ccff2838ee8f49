"""The hand-written OpenAPI subset of /api/v3 lists exactly the routes the dialect serves."""

from exchangesim.api.binance import BinanceAPI
from exchangesim.api.binance.openapi import openapi_document

from .support import BinanceCase


def test_the_document_lists_every_route_and_nothing_else():
    served = {
        (method.lower(), rule.rule)
        for rule in BinanceAPI.app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if rule.rule != "/openapi.json"
    }
    documented = {(method, path) for path, item in openapi_document()["paths"].items() for method in item}
    assert documented == served


def test_signed_routes_ask_for_the_key_timestamp_and_signature():
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            names = {parameter["name"] for parameter in operation["parameters"]}
            signed = path in {
                "/account",
                "/order",
                "/order/cancelReplace",
                "/openOrders",
                "/allOrders",
                "/myTrades",
            }
            assert ({"X-MBX-APIKEY", "timestamp", "signature"} <= names) == signed, (method, path)


def test_only_the_listen_key_routes_binance_retired_are_deprecated():
    deprecated = {
        (method, path)
        for path, item in openapi_document()["paths"].items()
        for method, operation in item.items()
        if operation.get("deprecated")
    }
    assert deprecated == {
        ("post", "/userDataStream"),
        ("put", "/userDataStream"),
        ("delete", "/userDataStream"),
    }


class ServedTests(BinanceCase):
    def test_it_is_served_at_api_v3_openapi_json(self):
        code, body, _ = self.binance_send("GET", "/openapi.json")
        assert code == 200 and body == openapi_document()
