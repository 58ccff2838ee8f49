"""``[failures] max_fault_duration``: no duration key of any fault may be longer, wherever the fault
comes from (INI, admin API, headers), and no fault holds a message or request longer."""

import random

import pytest

from exchangesim.config import ConfigError
from exchangesim.config_checks import load_config
from exchangesim.failures.modes.delay import Jitter
from exchangesim.failures.params import DURATION
from exchangesim.failures.registry import mode_for, mode_names
from exchangesim.failures.spec import COMMON, MAX_FAULT_DURATION_MS, FaultSpecError, parse_fault

from .wiring import FaultCase, connect_ws, pump_ws, take, ws_send

TEN_HOURS_MS = "36000000"
BOUND_MS = 10_000.0


def base_keys(mode):
    """Keys of a valid fault of ``mode`` on its first layer (a tcp stall or outage needs a duration)."""
    keys = {"mode": mode.name, "layer": mode.layers[0]}
    if getattr(mode, "silences_connections", False):
        keys["duration"] = "1s"
    return keys


def duration_keys():
    """(mode, key) for every duration parameter of every installed mode and of the common keys."""
    pairs = []
    for name in mode_names():
        mode = mode_for(name)
        pairs += [(name, parameter.name) for parameter in mode.parameters if parameter.kind is DURATION]
    pairs += [("delay", parameter.name) for parameter in COMMON if parameter.kind is DURATION]
    return pairs


def test_the_default_bound_is_an_hour():
    assert MAX_FAULT_DURATION_MS == 3_600_000


@pytest.mark.parametrize(("mode_name", "key"), duration_keys())
def test_every_duration_key_of_every_mode_is_bounded(mode_name, key):
    mode = mode_for(mode_name)
    keys = base_keys(mode)
    if key == "period":
        keys["duration"] = "1s"
    at_bound = parse_fault("f", {**keys, key: str(BOUND_MS)}, mode_for, BOUND_MS)
    assert (at_bound.common | at_bound.params)[key] == BOUND_MS
    with pytest.raises(FaultSpecError) as caught:
        parse_fault("f", {**keys, key: str(BOUND_MS + 1)}, mode_for, BOUND_MS)
    assert caught.value.problems == [
        (key, "10001 ms is longer than [failures] max_fault_duration (10 s)"),
    ]


def test_a_ten_hour_tcp_stall_is_refused_however_it_is_written():
    for duration in (TEN_HOURS_MS, "36000s", "600m"):
        with pytest.raises(FaultSpecError) as caught:
            parse_fault("freeze", {"mode": "stall", "layer": "tcp", "duration": duration}, mode_for)
        ((key, reason),) = caught.value.problems
        assert key == "duration" and "max_fault_duration (3600 s)" in reason


def write_ini(tmp_path, text):
    path = tmp_path / "sim.ini"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_ini_names_section_key_and_bound(tmp_path):
    path = write_ini(
        tmp_path,
        f"[failure:freeze]\nmode = stall\nlayer = tcp\nduration = {TEN_HOURS_MS}\n"
        "[failure:late]\nmode = delay\nlayer = ws\nbase_ms = 2h\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config([path])
    text = str(caught.value)
    assert f"[failure:freeze] duration = '{TEN_HOURS_MS}'" in text
    assert "36000000 ms is longer than [failures] max_fault_duration (3600 s)" in text


def test_the_ini_honours_a_configured_bound(tmp_path):
    ten_hours = f"[failure:freeze]\nmode = stall\nlayer = tcp\nduration = {TEN_HOURS_MS}\n"
    config = load_config([write_ini(tmp_path, "[failures]\nmax_fault_duration = 36000\n" + ten_hours)])
    assert config.failures.max_fault_duration == 36000
    two_minutes = "[failure:lag]\nmode = delay\nlayer = ws\nbase_ms = 2m\n"
    with pytest.raises(ConfigError) as caught:
        load_config([write_ini(tmp_path, "[failures]\nmax_fault_duration = 60\n" + two_minutes)])
    assert "[failure:lag] base_ms = '2m': 120000 ms is longer than" in str(caught.value)
    assert "(60 s)" in str(caught.value)


class AdminAndHeaderTests(FaultCase):
    failures = {"allow_header_control": True}

    def test_the_admin_refuses_a_long_fault_with_400_naming_the_field(self):
        code, body = self.call(
            "POST",
            "/admin/failures",
            {"name": "freeze", "mode": "stall", "layer": "tcp", "duration": int(TEN_HOURS_MS)},
            {"X-Admin-Token": self.venue.admin_token},
        )
        assert (code, body["error"]["code"], body["error"]["field"]) == (400, "INVALID_FAULT", "duration")
        assert "max_fault_duration" in body["error"]["message"]
        assert self.controller.faults == {}

    def test_patch_and_put_are_bounded_too(self):
        token = {"X-Admin-Token": self.venue.admin_token}
        assert self.call("PUT", "/admin/failures/lag", {"mode": "delay", "layer": "ws"}, token)[0] == 201
        code, body = self.call("PATCH", "/admin/failures/lag", {"base_ms": "3601s"}, token)
        assert (code, body["error"]["field"]) == (400, "base_ms")
        code, body = self.call(
            "PUT",
            "/admin/failures",
            {"faults": {"x": {"mode": "drop", "layer": "rest", "hold_ms": "61m"}}},
            token,
        )
        assert (code, body["error"]["problems"][0]["field"]) == (400, "hold_ms")
        assert self.controller.faults["lag"].spec.params["base_ms"] == 100.0  # unchanged

    def test_a_header_fault_is_bounded_naming_the_header(self):
        code, body = self.call(
            "GET", "/health", headers={"X-Sim-Fault-Mode": "delay", "X-Sim-Fault-Base-Ms": "7200s"}
        )
        assert (code, body["error"]["code"], body["error"]["field"]) == (
            400,
            "INVALID_FAULT_HEADER",
            "x-sim-fault-base-ms",
        )
        assert "max_fault_duration" in body["error"]["message"]


# -- what a fault holds, it holds no longer than the bound ------------------------------------------
def test_a_pareto_delay_is_cut_at_the_bound():
    params = {
        "base_ms": 0.0,
        "jitter_ms": 1e6,
        "distribution": "pareto",
        "pareto_alpha": 1.01,
        "correlation": 0,
    }
    jitter = Jitter(params, random.Random(3), cap_ms=BOUND_MS)
    drawn = [jitter.next_ms() for _ in range(2000)]
    assert max(drawn) == BOUND_MS and min(drawn) >= 0


class HeldNoLongerThanTheBoundTests(FaultCase):
    failures = {"max_fault_duration": 10}

    def test_a_throttled_message_waits_at_most_the_bound(self):
        client, pump = connect_ws(self)
        ws_send(self, client, pump, {"op": "subscribe", "channel": "TRADES", "symbol": "BTC/USD"})
        self.put_fault("trickle", mode="throttle", layer="ws", channel="TRADES", rate="0.001", burst="1")
        self.trade(2)  # the second would wait 1000 s for a token
        pump_ws(self, pump)
        assert [m["seq"] for m in take(client) if m.get("channel") == "TRADES"] == [1]
        pump_ws(self, pump, 9.999)
        assert take(client) == []
        pump_ws(self, pump, 0.001)
        assert [m["seq"] for m in take(client) if m.get("channel") == "TRADES"] == [2]
