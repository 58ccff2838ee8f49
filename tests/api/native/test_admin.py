"""Account control over the admin API."""

from .support import RestCase


class AdminTests(RestCase):
    def admin(self, method, path, body=None, token=None):
        return self.call(
            method, f"/admin{path}", body, headers={"X-Admin-Token": token or self.venue.admin_token}
        )

    def test_without_the_token_nothing_happens(self):
        code, body = self.admin("POST", "/accounts", {"name": "carol"}, token="wrong")
        assert (code, body["error"]["code"]) == (401, "INVALID_ADMIN_TOKEN")
        assert "carol" not in self.venue.exchange.account_names()

    def test_create_an_account_whose_key_trades_at_once(self):
        code, created = self.admin("POST", "/accounts", {"name": "carol", "balances": {"USD": "500"}})
        assert code == 201 and created["balances"]["USD"]["available"] == "500"
        code, body = self.call("GET", "/balance", headers={"X-API-Key": created["api_key"]})
        assert (body["account"], body["balances"]["USD"]["total"]) == ("carol", "500")
        code, listed = self.admin("GET", "/accounts")
        assert {"name": "carol", "api_keys": [created["api_key"]]} in listed["accounts"]

    def test_duplicates_and_bad_bodies_are_refused(self):
        self.admin("POST", "/accounts", {"name": "carol", "api_key": "carol-key-1"})
        assert self.admin("POST", "/accounts", {"name": "carol"})[1]["error"]["code"] == "DUPLICATE_ACCOUNT"
        code, body = self.admin("POST", "/accounts", {"name": "dave", "api_key": "carol-key-1"})
        assert (code, body["error"]["code"]) == (409, "DUPLICATE_API_KEY")
        assert "dave" not in self.venue.exchange.account_names()
        code, body = self.admin("POST", "/accounts", {"name": "erin", "balances": {"USD": "-1"}})
        assert (code, body["error"]["field"]) == (400, "balances")
        code, body = self.admin("POST", "/accounts", {"name": "erin", "balances": {"DOGE": "7"}})
        assert (code, body["error"]["code"], body["error"]["field"]) == (400, "UNKNOWN_ASSET", "balances")
        assert "erin" not in self.venue.exchange.account_names()
        assert self.admin("POST", "/accounts", {"name": "x" * 65})[0] == 400

    def test_fund_and_reset(self):
        code, body = self.admin("POST", "/accounts/bob/fund", {"asset": "BTC", "amount": "1.5"})
        assert body["balances"]["BTC"]["available"] == "11.5"
        assert self.admin("POST", "/accounts/bob/fund", {"asset": "DOGE", "amount": "1"})[0] == 400
        assert self.admin("POST", "/accounts/nobody/fund", {"asset": "BTC", "amount": "1"})[0] == 404
        self.as_bob(
            "POST",
            "/orders",
            {"symbol": "BTC/USD", "side": "SELL", "type": "LIMIT", "quantity": "1", "price": "60000"},
        )
        code, body = self.admin("POST", "/accounts/bob/reset", {"balances": {"USD": "10"}})
        assert code == 200, body
        assert body["balances"]["USD"]["total"] == "10" and body["balances"]["BTC"]["total"] == "0"
        assert self.as_bob("GET", "/orders")[1] == {"orders": []}
