"""Who may act: API keys, signatures within the receive window, anonymous access, the admin guard."""

from twisted.internet.address import IPv4Address, IPv6Address

from exchangesim.api import auth
from exchangesim.api.auth import require_admin
from exchangesim.api.errors import ApiError
from exchangesim.failures.testing import received_request
from exchangesim.signing import sign, signature_matches

from .native.support import BOB_KEY, BOB_SECRET, RestCase, venue_config


def test_a_signature_signs_method_path_body_and_time():
    signature = sign("s3cret", 1000, "POST", "/api/v1/orders?x=1", b"{}")
    assert signature_matches(signature, "s3cret", 1000, "post", "/api/v1/orders?x=1", b"{}")
    assert signature_matches(signature.upper(), "s3cret", 1000, "POST", "/api/v1/orders?x=1", b"{}")
    assert not signature_matches(signature, "s3cret", 1001, "POST", "/api/v1/orders?x=1", b"{}")
    assert not signature_matches(signature, "s3cret", 1000, "POST", "/api/v1/orders?x=2", b"{}")
    assert not signature_matches(signature, "s3cret", 1000, "POST", "/api/v1/orders?x=1", b"{ }")
    assert not signature_matches("ü", "s3cret", 1000, "POST", "/", b"")


class KeyTests(RestCase):
    def test_a_key_selects_its_account(self):
        code, body = self.call("GET", "/balance", headers={"X-API-Key": BOB_KEY})
        assert (code, body["account"]) == (200, "bob")
        assert self.as_bob("GET", "/balance")[1]["account"] == "bob"

    def test_an_unknown_key_is_refused(self):
        code, body = self.call("GET", "/balance", headers={"X-API-Key": "nobody-key"})
        assert (code, body["error"]["code"], body["error"]["field"]) == (401, "INVALID_API_KEY", "x-api-key")

    def test_a_wrong_signature_is_refused_even_when_not_required(self):
        headers = {"X-API-Key": BOB_KEY, "X-Timestamp": str(self.venue.now_ms()), "X-Signature": "ab" * 32}
        code, body = self.call("GET", "/balance", headers=headers)
        assert (code, body["error"]["code"]) == (401, "INVALID_SIGNATURE")

    def test_a_timestamp_outside_the_window_is_refused(self):
        stale = self.venue.now_ms() - 5001
        headers = {
            "X-API-Key": BOB_KEY,
            "X-Timestamp": str(stale),
            "X-Signature": sign(BOB_SECRET, stale, "GET", "/balance"),
        }
        code, body = self.call("GET", "/balance", headers=headers)
        assert (code, body["error"]["code"], body["error"]["server_time"]) == (
            401,
            "TIMESTAMP_OUTSIDE_WINDOW",
            self.venue.now_ms(),
        )

    def test_a_timestamp_that_is_not_epoch_milliseconds_is_refused(self):
        for stamp in ("9" * 5000, "\u00b2", "-5", "1.5", ""):
            headers = {"X-API-Key": BOB_KEY, "X-Timestamp": stamp, "X-Signature": "ab" * 32}
            code, body = self.call("GET", "/balance", headers=headers)
            assert (code, body["error"]["code"]) == (401, "INVALID_TIMESTAMP"), stamp


class StrictServerTests(RestCase):
    def make_config(self):
        config = venue_config()
        config.server.allow_anonymous = False
        config.server.require_signature = True
        return config

    def test_anonymous_requests_are_refused(self):
        code, body = self.call("GET", "/balance")
        assert (code, body["error"]["code"]) == (401, "UNAUTHENTICATED")
        assert self.call("GET", "/ticker?symbol=BTC/USD")[0] == 200  # public data stays public

    def test_a_key_alone_is_not_enough(self):
        code, body = self.call("GET", "/balance", headers={"X-API-Key": BOB_KEY})
        assert (code, body["error"]["code"]) == (401, "SIGNATURE_REQUIRED")

    def test_signed_requests_pass(self):
        code, body = self.as_bob(
            "POST",
            "/orders",
            {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.1", "price": "40000"},
        )
        assert (code, body["status"]) == (201, "NEW")


class SignatureOnceTests(RestCase):
    def signed_request(self, timestamp=None):
        timestamp = self.venue.now_ms() if timestamp is None else timestamp
        headers = {
            "X-API-Key": BOB_KEY,
            "X-Timestamp": str(timestamp),
            "X-Signature": sign(BOB_SECRET, timestamp, "GET", "/api/v1/balance"),
        }
        return received_request("GET", "/api/v1/balance", headers)

    def test_the_rate_limits_check_is_the_requests_one_signature_computation(self):
        """The rate limit authenticates to charge the key; the route admitting the request only uses
        the signature up (a replay is still refused), without computing it again."""
        computed = []
        original = auth.signature_matches
        self.patch(auth, "signature_matches", lambda *args: computed.append(args) or original(*args))
        authenticator = self.venue.authenticator
        request = self.signed_request()
        assert authenticator.authenticate(request) == authenticator.admit(request) == "bob"
        assert len(computed) == 1
        with self.assertRaises(ApiError) as replayed:
            authenticator.admit(self.signed_request(int(request.getHeader(b"x-timestamp"))))
        assert replayed.exception.code == "REPLAYED_SIGNATURE"

    def test_a_proven_request_admitted_after_its_window_is_refused(self):
        authenticator = self.venue.authenticator
        request = self.signed_request()
        authenticator.authenticate(request)
        self.clock.advance(6)  # a fault held it past the receive window
        with self.assertRaises(ApiError) as stale:
            authenticator.admit(request)
        assert stale.exception.code == "TIMESTAMP_OUTSIDE_WINDOW"


def _admin_request(host, token):
    peer = IPv6Address("TCP", host, 1) if ":" in host else IPv4Address("TCP", host, 1)
    return received_request("GET", "/", {} if token is None else {"X-Admin-Token": token}, peer=peer)


def test_the_admin_guard_wants_the_token_from_loopback():
    require_admin(_admin_request("127.0.0.1", "t0ken"), "t0ken", allow_remote=False)
    require_admin(_admin_request("::1", "t0ken"), "t0ken", allow_remote=False)
    require_admin(_admin_request("::ffff:127.0.0.1", "t0ken"), "t0ken", allow_remote=False)
    require_admin(_admin_request("192.0.2.7", "t0ken"), "t0ken", allow_remote=True)
    for host, token, allow, code in [
        ("192.0.2.7", "t0ken", False, "ADMIN_LOOPBACK_ONLY"),
        ("127.0.0.1", None, False, "INVALID_ADMIN_TOKEN"),
        ("127.0.0.1", "t0ke", False, "INVALID_ADMIN_TOKEN"),
    ]:
        try:
            require_admin(_admin_request(host, token), "t0ken", allow_remote=allow)
        except ApiError as error:
            assert error.code == code
        else:
            raise AssertionError(f"{host} {token} was let in")


def test_a_missing_admin_token_and_a_wrong_one_are_told_apart():
    messages = {}
    for token in (None, "", "t0ke"):
        try:
            require_admin(_admin_request("127.0.0.1", token), "t0ken", allow_remote=False)
        except ApiError as error:
            assert (error.status, error.code, error.field) == (401, "INVALID_ADMIN_TOKEN", "x-admin-token")
            messages[token] = error.message
    assert (
        messages[None]
        == messages[""]
        == (
            "no admin token: send it in x-admin-token ([server] admin_token, or the one the daemon logged at"
            " start when that is empty)"
        )
    )
    assert messages["t0ke"] == (
        "wrong admin token in x-admin-token: it is not this daemon's [server] admin_token (nor, when that"
        " is empty, the one it logged at start)"
    )
