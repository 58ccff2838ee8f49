"""The real daemon over a real loopback socket: it serves, stops on SIGTERM, and refuses bad starts."""

import json
import socket
import subprocess
import urllib.request
from pathlib import Path

from exchangesim import __version__
from exchangesim.tap import CONFIG_ERROR_EXIT

from .daemon import TWISTD, Daemon, run_twistd

REPO = Path(__file__).resolve().parents[2]


def test_health_over_loopback_then_a_clean_sigterm_stop(tmp_path):
    daemon = Daemon(tmp_path, "--config", str(REPO / "etc" / "sim.ini"))
    try:
        with urllib.request.urlopen(f"{daemon.base_url}/api/v1/health", timeout=10) as response:
            health = json.load(response)
        with urllib.request.urlopen(f"{daemon.base_url}/metrics", timeout=10) as response:
            metrics = response.read().decode()
    finally:
        code = daemon.stop(timeout=5)
    assert health["status"] == "ok" and health["seed"] == 42
    assert 'exchangesim_http_responses_total{code="200"}' in metrics  # the health call, counted
    assert code == 0, daemon.output  # an orderly SIGTERM stop exits 0
    assert "Server Shut Down." in daemon.output
    assert "Traceback" not in daemon.output


def test_an_invalid_config_exits_nonzero_with_the_reason_and_no_traceback(tmp_path):
    path = tmp_path / "sim.ini"
    path.write_text("[exchange]\nseed = -3\n[exchnage]\n", encoding="utf-8")
    result = run_twistd(tmp_path, "--config", str(path))
    assert result.returncode == CONFIG_ERROR_EXIT  # not 1, a crash's: restarting will not help
    assert f"{path}, line 2: [exchange] seed = '-3': must be at least 0" in result.stderr
    assert f"{path}, line 3: [exchnage]: unknown section; did you mean 'exchange'?" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_version_prints_exchangesims(tmp_path):
    result = subprocess.run(
        [TWISTD, "exchangesim", "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0
    assert result.stdout.startswith(f"exchangesim {__version__} (Twisted "), result.stdout


def test_a_missing_config_file_exits_nonzero(tmp_path):
    result = run_twistd(tmp_path, "--config", str(tmp_path / "absent.ini"))
    assert result.returncode != 0
    assert f"{tmp_path / 'absent.ini'}: no such file" in result.stderr


def test_a_port_in_use_exits_nonzero_with_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_twistd(tmp_path, "--listen", f"tcp:{port}:interface=127.0.0.1")
    assert result.returncode != 0
    assert (
        f"cannot listen on --listen tcp:{port}:interface=127.0.0.1: Address already in use: another process"
        f" is listening on 127.0.0.1:{port}; choose another port with --listen"
    ) in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
