"""The OpenAPI document is valid OpenAPI 3.1, covers every route, and REST_API.md is generated from it."""

from pathlib import Path

from jsonschema import Draft202012Validator

from exchangesim.api.native import NativeAPI
from exchangesim.api.native.openapi import openapi_document
from exchangesim.api.native.openapi_markdown import render_markdown

REPO = Path(__file__).resolve().parents[3]


def test_every_schema_is_valid_json_schema():
    for schema in openapi_document()["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_route_is_described():
    document = openapi_document()
    described = {
        (path, method.upper()) for path, operations in document["paths"].items() for method in operations
    }
    routed = set()
    for rule in NativeAPI.app.url_map.iter_rules():
        path = rule.rule.replace("<", "{").replace(">", "}")
        if rule.methods is None or path == "/openapi.json":  # the admin branch; the document itself
            continue
        routed |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == described


def test_rest_api_md_is_current():
    assert (REPO / "REST_API.md").read_text(encoding="utf-8") == render_markdown(), "run: make docs"
