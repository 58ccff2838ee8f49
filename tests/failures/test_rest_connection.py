"""``connection`` names the Nth connection of the ws or tcp layer; the rest layer numbers none, so a
rest fault giving it is refused wherever it comes from, rather than hitting every request."""

import pytest

from exchangesim.config import ConfigError
from exchangesim.config_checks import load_config
from exchangesim.failures import FaultSpecError, parse_fault
from exchangesim.failures.registry import mode_for

from .wiring import FaultCase


def test_a_rest_fault_with_a_connection_is_refused_naming_the_key():
    with pytest.raises(FaultSpecError) as caught:
        parse_fault("f", {"mode": "error", "layer": "rest", "connection": "2"}, mode_for)
    [(key, reason)] = caught.value.problems
    assert key == "connection"
    assert "the rest layer does not number connections" in reason


def test_so_is_a_fault_on_rest_and_another_layer():
    with pytest.raises(FaultSpecError, match="connection: the rest layer"):
        parse_fault("f", {"mode": "delay", "layer": "rest, ws", "connection": "1"}, mode_for)


def test_ws_and_tcp_faults_take_a_connection():
    for layer in ("ws", "tcp"):
        assert (
            parse_fault("f", {"mode": "delay", "layer": layer, "connection": "3"}, mode_for).connection == 3
        )


def test_an_ini_section_with_it_stops_the_daemon_at_start(tmp_path):
    path = tmp_path / "sim.ini"
    path.write_text("[failure:slow-orders]\nmode = delay\nroute = POST /api/v1/orders\nconnection = 2\n")
    with pytest.raises(ConfigError) as caught:
        load_config([str(path)])
    [problem] = caught.value.problems
    assert (problem.section, problem.key) == ("failure:slow-orders", "connection")


class AdminTests(FaultCase):
    def test_the_admin_api_refuses_it_400_naming_the_field(self):
        code, body = self.admin("PUT", "/slow", {"mode": "error", "layer": "rest", "connection": 1})
        assert (code, body["error"]["code"], body["error"]["field"]) == (400, "INVALID_FAULT", "connection")
        assert "slow" not in self.controller.faults
