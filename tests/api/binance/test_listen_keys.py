"""listenKeys over REST: ``/api/v3/userDataStream`` makes, keeps alive and closes them; they expire 60
minutes after their last start or keepalive on the wall clock."""

from __future__ import annotations

import re
from typing import Any

from exchangesim.api.binance.listen_keys import LIFETIME_S

from .support import ALICE_KEY, BOB_KEY, BinanceCase

MINUTE = 60.0
UNKNOWN = {"code": -1125, "msg": "This listenKey does not exist."}


class ListenKeyRestTests(BinanceCase):
    def start(self, key: str | None = ALICE_KEY) -> tuple[int, Any, Any]:
        return self.binance_send(
            "POST", "/userDataStream", headers={} if key is None else {"X-MBX-APIKEY": key}
        )

    def keepalive(self, listen_key: str, key: str = ALICE_KEY) -> tuple[int, Any]:
        """A PUT with the key in the form body, as python-binance sends it."""
        body = f"listenKey={listen_key}".encode()
        code, answer, _ = self.binance_send(
            "PUT", "/userDataStream", body=body, headers={"X-MBX-APIKEY": key}
        )
        return code, answer

    def close(self, listen_key: str, key: str = ALICE_KEY) -> tuple[int, Any]:
        """A DELETE with the key in the query string, as binance-connector sends it."""
        code, answer, _ = self.binance_send(
            "DELETE", "/userDataStream", f"listenKey={listen_key}", headers={"X-MBX-APIKEY": key}
        )
        return code, answer

    def test_post_with_only_the_api_key_answers_a_listen_key_and_weighs_2(self):
        code, body, headers = self.start()
        assert code == 200 and list(body) == ["listenKey"]
        assert re.fullmatch("[A-Za-z0-9]{64}", body["listenKey"])
        assert headers.getRawHeaders(b"x-mbx-used-weight-1m") == [b"2"]

    def test_an_account_has_one_live_key_which_posting_again_returns_and_extends(self):
        first = self.start()[1]["listenKey"]
        self.clock.advance(59 * MINUTE)
        assert self.start()[1]["listenKey"] == first
        self.clock.advance(59 * MINUTE)  # 118 minutes after it was made, 59 after the second POST
        assert self.keepalive(first) == (200, {})
        assert self.start(BOB_KEY)[1]["listenKey"] != first

    def test_a_key_lives_60_minutes_after_its_last_keepalive_not_a_moment_less(self):
        key = self.start()[1]["listenKey"]
        self.clock.advance(45 * MINUTE)
        assert self.keepalive(key) == (200, {})
        self.clock.advance(LIFETIME_S - 0.001)
        assert self.listen_keys.is_live(key)
        self.clock.advance(0.001)
        assert not self.listen_keys.is_live(key)
        assert self.keepalive(key) == (400, UNKNOWN)
        assert self.start()[1]["listenKey"] != key  # the next POST makes a new one

    def test_stopping_forgets_every_key_and_leaves_no_timer(self):
        key = self.start()[1]["listenKey"]
        self.start(BOB_KEY)
        self.listen_keys.stop()
        assert not self.listen_keys.is_live(key)
        assert not [call for call in self.clock.getDelayedCalls() if call.func == self.listen_keys._expire]

    def test_delete_closes_the_key(self):
        key = self.start()[1]["listenKey"]
        assert self.close(key) == (200, {})
        assert self.keepalive(key) == (400, UNKNOWN)
        assert self.close(key) == (400, UNKNOWN)

    def test_unknown_keys_and_other_accounts_keys_do_not_exist(self):
        assert self.keepalive("no-such-key") == (400, UNKNOWN)
        bobs = self.start(BOB_KEY)[1]["listenKey"]
        assert self.keepalive(bobs, key=ALICE_KEY) == (400, UNKNOWN)
        assert self.close(bobs, key=ALICE_KEY) == (400, UNKNOWN)
        assert self.listen_keys.is_live(bobs)

    def test_a_missing_listen_key_is_named(self):
        for method in ("PUT", "DELETE"):
            code, body, _ = self.binance_send(method, "/userDataStream", headers={"X-MBX-APIKEY": ALICE_KEY})
            assert (code, body["code"]) == (400, -1102), method
            assert "'listenKey'" in body["msg"]

    def test_the_api_key_must_be_sent_and_known(self):
        assert self.start(None)[:2] == (401, {"code": -2014, "msg": "API-key format invalid."})
        code, body, _ = self.start("no-such-key")
        assert (code, body["code"]) == (401, -2015)
        key = self.start()[1]["listenKey"]
        assert self.keepalive(key, key="no-such-key")[1]["code"] == -2015
