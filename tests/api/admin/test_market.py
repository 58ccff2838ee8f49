"""The moving markets under ``/api/v1/admin/market``: status, pause and resume, parameters, jumps."""

from twisted.logger import capturedLogs

from .support import AdminCase


class MarketControlTests(AdminCase):
    def setUp(self):
        super().setUp()
        self.service = self.venue.market
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
        timer = self.venue.market.markets["BTC/USD"].timer
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
        assert self.venue.market.markets["ETH/USD"].model.volatility == 0.2

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
        market = self.venue.market.markets["BTC/USD"]
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

    def test_a_flash_crash_takes_the_next_name_no_condition_holds(self):
        assert self.admin("POST", "/conditions", {"name": "crash-1", "kind": "halt"})[0] == 201
        code, _ = self.admin("POST", "/market/jump", {"symbol": "BTC/USD", "fraction": "-0.1"})
        assert code == 200
        names = [condition["name"] for condition in self.admin("GET", "/conditions")[1]["conditions"]]
        assert names == ["crash-1", "crash-2"]
