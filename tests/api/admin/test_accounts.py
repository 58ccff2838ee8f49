"""Accounts under ``/api/v1/admin/accounts``: create, fund, reset and remove them."""

from .support import AdminCase


class AdminTests(AdminCase):
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

    def test_remove_an_account_made_at_run_time(self):
        code, carol = self.admin("POST", "/accounts", {"name": "carol", "balances": {"USD": "500"}})
        key = {"X-API-Key": carol["api_key"]}
        order = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.001", "price": "40000"}
        assert self.call("POST", "/orders", order, headers=key)[0] == 201
        code, body = self.admin("DELETE", "/accounts/carol")
        assert code == 200, body
        assert (body["removed"], body["canceled_orders"], body["balances"]["USD"]["total"]) == (
            "carol",
            1,
            "500",
        )
        assert "carol" not in self.venue.exchange.account_names()
        assert self.call("GET", "/balance", headers=key)[1]["error"]["code"] == "INVALID_API_KEY"
        assert "carol" not in [a["name"] for a in self.admin("GET", "/accounts")[1]["accounts"]]
        assert self.admin("DELETE", "/accounts/carol")[0] == 404
        assert self.admin("POST", "/accounts", {"name": "carol", "api_key": carol["api_key"]})[0] == 201

    def test_the_simulators_and_the_configured_accounts_stay(self):
        for name in ("default", "fees", "agent-maker", "bob"):
            code, body = self.admin("DELETE", f"/accounts/{name}")
            assert (code, body["error"]["code"], body["error"]["field"]) == (409, "ACCOUNT_RESERVED", "name")
        assert {"default", "fees", "bob"} <= set(self.venue.exchange.account_names())
        assert "configured in [account:bob]" in self.admin("DELETE", "/accounts/bob")[1]["error"]["message"]
        maker = self.admin("DELETE", "/accounts/agent-maker")[1]["error"]["message"]
        assert "the market maker's account" in maker  # reserved even in a run without a market maker
        assert self.admin("DELETE", "/accounts/carol", token="wrong")[0] == 401
