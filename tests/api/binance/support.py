"""A venue on a fake clock with the Binance REST dialect in memory, and Binance-signed calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from treq.testing import StubTreq
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.config import AccountConfig, Config, seal
from exchangesim.service import binance_rest, venue_streams
from exchangesim.signing import sign_payload
from exchangesim.venue import Venue, open_venue

ALICE_KEY, ALICE_SECRET = "alice-key-0001", "alice-secret"
BOB_KEY, BOB_SECRET = "bob-key-0001", "bob-secret"
START = 1_700_000_000.0


class BinanceCalls:
    """Calls of the Binance REST dialect in memory (``self.binance``, a ``StubTreq`` over ``/api/v3``),
    signed as ccxt signs them on ``self.venue``'s wall clock: a mixin of a ``SynchronousTestCase``."""

    binance: StubTreq
    venue: Venue
    successResultOf: Callable[[Deferred], Any]

    def binance_send(
        self, method: str, path: str, query: str = "", body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, Any, Any]:
        """One request; returns (status, decoded JSON, response headers)."""
        headers = dict(headers or {})
        if body is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        url = f"http://127.0.0.1{path}" + (f"?{query}" if query else "")
        response = self.successResultOf(self.binance.request(method, url, data=body, headers=headers))
        return response.code, json.loads(self.successResultOf(response.content())), response.headers

    def public(self, path: str, **params: Any) -> tuple[int, Any]:
        code, body, _ = self.binance_send("GET", path, urlencode(params))
        return code, body

    def signed(
        self,
        method: str,
        path: str,
        key: str = ALICE_KEY,
        secret: str = ALICE_SECRET,
        timestamp: int | None = None,
        in_body: bool | None = None,
        **params: Any,
    ) -> tuple[int, Any]:
        """A request signed as ccxt signs it: timestamp first, the signature appended last; in the form
        body for POST and PUT (``in_body`` True: any method, as python-binance sends a DELETE)."""
        text = urlencode({"timestamp": self.venue.wall_ms() if timestamp is None else timestamp, **params})
        text += "&signature=" + sign_payload(secret, text.encode())
        headers = {"X-MBX-APIKEY": key}
        if in_body or (in_body is None and method in ("POST", "PUT")):
            code, body, _ = self.binance_send(method, path, body=text.encode(), headers=headers)
        else:
            code, body, _ = self.binance_send(method, path, text, headers=headers)
        return code, body


class BinanceCase(BinanceCalls, SynchronousTestCase):
    """A test with ``self.venue``, ``self.clock``, ``self.public(...)`` and ``self.signed(...)``."""

    def make_config(self) -> Config:
        config = Config()
        config.named_accounts["alice"] = AccountConfig(api_key=ALICE_KEY, api_secret=ALICE_SECRET)
        config.named_accounts["bob"] = AccountConfig(api_key=BOB_KEY, api_secret=BOB_SECRET)
        return config

    def setUp(self) -> None:
        self.clock = Clock()
        self.clock.advance(START)
        self.venue = open_venue(seal(self.make_config()), self.clock)
        self.streams = venue_streams(self.venue)
        self.listen_keys = self.streams.listen_keys
        self.binance = StubTreq(binance_rest(self.venue, self.streams).resource())

    def now_ms(self) -> int:
        return int(self.clock.seconds() * 1000)
