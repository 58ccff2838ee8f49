"""Market conditions under ``/api/v1/admin/conditions``: add, list and remove them at run time."""

from exchangesim.api.admin.conditions import ConditionsAdmin
from exchangesim.api.errors import ApiError
from exchangesim.marketdata.conditions import parse_condition

from .support import AdminCase


class ConditionTests(AdminCase):
    def setUp(self):
        super().setUp()
        self.service = self.venue.market
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

    def test_adding_a_condition_whose_name_is_taken_is_refused_409(self):
        market = self.venue.market
        conditions = ConditionsAdmin(
            1024, market.conditions, market.markets, self.venue.market_clock, self.venue.faults.audit
        )
        spec = parse_condition("halt-btc", {"kind": "halt", "symbol": "BTC/USD"}, market.markets)
        conditions.add(spec)
        with self.assertRaises(ApiError) as refused:
            conditions.add(spec)
        error = refused.exception
        assert (error.status, error.code, error.field) == (409, "DUPLICATE_CONDITION", "name")
        assert list(market.conditions.specs) == ["halt-btc"]
