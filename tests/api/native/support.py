"""A venue on a fake clock with the native REST API in memory, and OpenAPI schema checks."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.api.native.openapi import openapi_document
from exchangesim.config import AccountConfig, Config, seal
from exchangesim.service import native_rest
from exchangesim.signing import sign
from exchangesim.venue import open_venue

BOB_KEY, BOB_SECRET = "bob-key-0001", "bob-secret"
START = 1_700_000_000.0


def venue_config() -> Config:
    """Defaults plus a second account, bob, with a key and a secret."""
    config = Config()
    config.named_accounts["bob"] = AccountConfig(api_key=BOB_KEY, api_secret=BOB_SECRET)
    return config


def assert_matches(payload: Any, schema: str) -> None:
    """Fail unless ``payload`` is valid against the OpenAPI document's component ``schema``."""
    document = openapi_document()
    root = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    errors = sorted(Draft202012Validator(root).iter_errors(payload), key=str)
    assert not errors, f"{schema}: {errors[0].message} at {list(errors[0].absolute_path)}"


def place_limit(venue, account, side, price, quantity, symbol="BTC/USD"):
    """A limit order straight through the engine (decimal strings for price and quantity)."""
    instrument = venue.exchange.instrument(symbol)
    return venue.exchange.place(
        account,
        symbol,
        side,
        "LIMIT",
        instrument.parse_quantity(quantity),
        instrument.parse_price(price),
        ts=venue.now_ms(),
    )


class RestCase(SynchronousTestCase):
    """A test with ``self.venue``, ``self.clock`` and ``self.call(...)`` over StubTreq."""

    def make_config(self) -> Config:
        return venue_config()

    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(START)
        self.venue = open_venue(seal(self.make_config()), self.clock)
        self.http = StubTreq(native_rest(self.venue).resource())

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """Send one request; returns (status, decoded JSON body)."""
        headers = dict(headers or {})
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            headers.setdefault("Content-Type", content_type)
        response = self.successResultOf(
            self.http.request(method, f"http://127.0.0.1{path}", data=data, headers=headers)
        )
        return response.code, json.loads(self.successResultOf(response.content()))

    def as_bob(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A request signed with bob's key and secret."""
        data = b"" if body is None else json.dumps(body).encode()
        timestamp = int(self.clock.seconds() * 1000)
        headers = {
            "X-API-Key": BOB_KEY,
            "X-Timestamp": str(timestamp),
            "X-Signature": sign(BOB_SECRET, timestamp, method, path, data),
        }
        return self.call(method, path, raw=data if body is not None else None, headers=headers)
