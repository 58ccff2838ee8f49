"""Account and market control over the admin API."""

from twisted.logger import capturedLogs

from exchangesim.marketdata.service import MarketService

from .support import RestCase


class AdminCase(RestCase):
    def admin(self, method, path, body=None, token=None):
        return self.call(
            method, f"/admin{path}", body, headers={"X-Admin-Token": token or self.venue.admin_token}
        )


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
            assert name in self.venue.exchange.account_names() or name == "agent-maker"
        assert "configured in [account:bob]" in self.admin("DELETE", "/accounts/bob")[1]["error"]["message"]
        assert self.admin("DELETE", "/accounts/carol", token="wrong")[0] == 401


class MarketControlTests(AdminCase):
    def setUp(self):
        super().setUp()
        self.service = MarketService(self.venue)
        self.service.startService()
        self.addCleanup(self.service.stopService)

    def test_the_status_of_every_market(self):
        code, body = self.admin("GET", "/market")
        assert code == 200
        assert [(m["symbol"], m["model"], m["paused"]) for m in body["markets"]] == [
            ("BTC/USD", "stochastic_volatility", False),
            ("ETH/USD", "stochastic_volatility", False),
        ]
        assert body["markets"][0]["fair_price"] == "50000.00"

    def test_pause_and_resume(self):
        code, body = self.admin("POST", "/market/pause", {"symbol": "BTC/USD"})
        assert (code, body["paused"]) == (200, True)
        timer = self.venue.markets["BTC/USD"].timer
        ticks = timer.runs
        self.clock.advance(1)
        assert timer.runs == ticks
        assert self.admin("POST", "/market/resume", {"symbol": "BTC/USD"})[1]["paused"] is False
        self.clock.advance(0.0101)
        assert timer.runs == ticks + 10

    def test_parameters_change_at_run_time(self):
        code, body = self.admin("POST", "/market/parameters", {"symbol": "ETH/USD", "volatility": "0.2"})
        assert (code, body["volatility"], body["drift"]) == (200, "0.2", "0.0")
        code, body = self.admin("POST", "/market/parameters", {"symbol": "ETH/USD", "volatility": "-1"})
        assert (code, body["error"]["field"]) == (400, "volatility")
        assert self.venue.markets["ETH/USD"].model.volatility == 0.2

    def test_a_jump_moves_the_fair_price_over_its_duration(self):
        self.admin("POST", "/market/parameters", {"symbol": "BTC/USD", "volatility": "0"})
        code, _ = self.admin(
            "POST", "/market/jump", {"symbol": "BTC/USD", "fraction": "-0.2", "duration_ms": 10}
        )
        assert code == 200
        self.clock.pump([0.001] * 11)
        assert self.admin("GET", "/market")[1]["markets"][0]["fair_price"] == "40000.00"

    def test_bad_control_requests_change_nothing(self):
        for path, body, field in [
            ("/market/pause", {}, "symbol"),
            ("/market/pause", {"symbol": "DOGE/USD"}, "symbol"),
            ("/market/jump", {"symbol": "BTC/USD"}, "fraction"),
            ("/market/jump", {"symbol": "BTC/USD", "fraction": "-1"}, "fraction"),
            ("/market/jump", {"symbol": "BTC/USD", "fraction": "abc"}, "fraction"),
            ("/market/jump", {"symbol": "BTC/USD", "fraction": "0.1", "duration_ms": 1.5}, "duration_ms"),
            ("/market/jump", {"symbol": "BTC/USD", "fraction": "1e308"}, "fraction"),
            ("/market/jump", {"symbol": "BTC/USD", "fraction": "0.1", "duration_ms": 10**12}, "duration_ms"),
            ("/market/parameters", {"symbol": "BTC/USD", "speed": "2"}, "speed"),
            ("/market/parameters", {"symbol": "BTC/USD", "volatility": "1e200"}, "volatility"),
            ("/market/parameters", {"symbol": "BTC/USD", "drift": "-1e12"}, "drift"),
        ]:
            with capturedLogs() as events:
                code, reply = self.admin("POST", path, body)
            assert (code, reply["error"]["field"]) == (400, field), (path, body, reply)
            assert not [e for e in events if e.get("action")], "a refused action is not logged as taken"
        assert self.admin("POST", "/market/pause", {"symbol": "BTC/USD"}, token="wrong")[0] == 401
        market = self.venue.markets["BTC/USD"]
        assert (market.paused, market._jump, market.model.volatility, market.model.drift) == (
            False,
            None,
            0.8,
            0.0,
        )

    def test_an_action_taken_is_logged(self):
        with capturedLogs() as events:
            self.admin("POST", "/market/jump", {"symbol": "BTC/USD", "fraction": "-0.05", "duration_ms": 100})
        (event,) = [e for e in events if e.get("action")]
        assert (event["action"], event["symbol"], event["params"]) == (
            "jump",
            "BTC/USD",
            {"fraction": -0.05, "duration_ms": 100},
        )


class ConditionTests(AdminCase):
    def setUp(self):
        super().setUp()
        self.service = MarketService(self.venue)
        self.service.startService()
        self.addCleanup(self.service.stopService)

    def test_add_list_and_remove_a_condition(self):
        code, body = self.admin(
            "POST", "/conditions", {"name": "halt-btc", "kind": "halt", "symbol": "BTC/USD"}
        )
        assert (code, body["kind"], body["active"]) == (201, "halt", False)
        self.clock.advance(0.01)  # it starts at the next market event
        assert self.admin("GET", "/conditions")[1]["conditions"][0]["active"] is True
        code, body = self.call(
            "POST",
            "/orders",
            {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.1", "price": "40000"},
        )
        assert (code, body["error"]["code"]) == (409, "MARKET_HALTED")
        assert self.admin("DELETE", "/conditions/halt-btc") == (200, {"removed": "halt-btc"})
        code, _ = self.call(
            "POST",
            "/orders",
            {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.1", "price": "40000"},
        )
        assert code == 201
        actions = [e["action"] for e in self.venue.faults.audit.since(0, 100)]
        assert actions == ["condition_added", "condition_started", "condition_ended", "condition_removed"]

    def test_a_bad_condition_is_refused_with_every_problem_and_changes_nothing(self):
        code, body = self.admin("POST", "/conditions", {"name": "x", "kind": "volatility", "period": "1s"})
        assert (code, body["error"]["code"]) == (400, "INVALID_CONDITION")
        assert {p["field"] for p in body["error"]["problems"]} == {"factor", "period"}
        assert self.admin("POST", "/conditions", {"name": "x", "kind": "halt"})[0] == 201
        assert (
            self.admin("POST", "/conditions", {"name": "x", "kind": "halt"})[1]["error"]["code"]
            == "DUPLICATE_CONDITION"
        )
        assert self.admin("DELETE", "/conditions/nope")[0] == 404

    def test_a_flash_crash_is_a_crash_condition(self):
        self.admin("POST", "/market/jump", {"symbol": "BTC/USD", "fraction": "-0.1", "duration_ms": 10})
        [condition] = self.admin("GET", "/conditions")[1]["conditions"]
        assert (condition["name"], condition["kind"], condition["factor"]) == ("crash-1", "crash", "-0.1")
