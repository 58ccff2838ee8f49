"""A third-party failure mode, installed as a package of its own, is found, configured and run by the
daemon like a built-in one (examples/exchangesim-latency-spike).

The example is built and installed, offline (``--no-index --no-deps --no-build-isolation``), into a new
venv that borrows this environment's packages and its exchangesim; the daemon then runs from that venv.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from exchangesim.client import ExchangeClient

from ..asyncio_runner import asyncio_test
from . import daemon as daemon_module
from .daemon import Daemon, run_twistd

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "exchangesim-latency-spike"
ADMIN_TOKEN = "plugin-test-token"
QUIET = ["[exchange]", "tick_interval_ms = 1000", "[liquidity]", "enabled = false"]
OFFLINE = {"PATH": "/usr/bin:/bin"}  # no PYTHONPATH, no pip configuration pointing at an index


class PluginVenv:
    """A venv holding the example plugin; ``python`` and ``twistd`` run in it."""

    def __init__(self, root: Path) -> None:
        self.source = source = root / "source"
        shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
        venv = root / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
        self.python = venv / "bin" / "python"
        site = Path(
            subprocess.check_output(
                [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
            ).strip()
        )
        (site / "borrowed.pth").write_text("\n".join(_borrowed_paths()) + "\n", encoding="utf-8")
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", "--python", self.python]
        subprocess.run(
            [*pip, "install", "--no-index", "--no-deps", "--no-build-isolation", source],
            check=True,
            env={**OFFLINE, "PIP_NO_INDEX": "1"},
        )
        self.twistd = venv / "bin" / "twistd"
        self.twistd.write_text(
            f"#!{self.python}\nimport sys\nfrom twisted.scripts.twistd import run\n"
            "sys.argv[0] = 'twistd'\nrun()\n",
            encoding="utf-8",
        )
        self.twistd.chmod(0o755)
        self.outside = root / "elsewhere"  # not the repo: its folder on sys.path would hide packaging bugs
        self.outside.mkdir()

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.python, *args], cwd=self.outside, capture_output=True, text=True, timeout=60, env=OFFLINE
        )


def _borrowed_paths() -> list[str]:
    """This environment's site-packages, plus where its editable exchangesim lives: a strict editable
    install puts the package in a link tree named by an ``__editable__`` .pth, which a borrowing venv
    does not read (only the site-packages' own .pth files are)."""
    purelib = Path(sysconfig.get_paths()["purelib"])
    paths = [str(purelib)]
    for pth in sorted(purelib.glob("__editable__*exchangesim*.pth")):
        for line in pth.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith(("import ", "#")):
                paths.append(line.strip())
    return paths


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    return PluginVenv(tmp_path_factory.mktemp("plugin"))


@pytest.fixture
def plugin_twistd(plugin, monkeypatch):
    """``Daemon`` and ``run_twistd`` start the venv's twistd."""
    monkeypatch.setattr(daemon_module, "TWISTD", str(plugin.twistd))
    return plugin


def write_config(path: Path, *fault: str) -> Path:
    lines = ["[server]", f"admin_token = {ADMIN_TOKEN}", *QUIET, "[failures]", "enabled = true"]
    path.write_text("\n".join([*lines, "[failure:spike]", *fault]) + "\n", encoding="utf-8")
    return path


def admin_get(base_url: str, path: str) -> dict:
    request = urllib.request.Request(f"{base_url}/api/v1/admin/failures{path}")
    request.add_header("X-Admin-Token", ADMIN_TOKEN)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_the_installed_plugin_is_listed_with_its_parameters(plugin):
    located = plugin.run("-c", "import exchangesim_latency_spike as p; print(p.__file__)")
    assert located.returncode == 0, located.stderr
    assert "site-packages" in located.stdout and str(REPO) not in located.stdout  # installed, not the source
    listing = plugin.run("-m", "exchangesim.failures")
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "\nlatency_spike: Now and then a spike" in listing.stdout
    assert "layers rest, ws, tcp; stages pre_engine, post_engine" in listing.stdout
    assert "  extra_ms" in listing.stdout and "  spike_ms" in listing.stdout
    assert "\ndrop: " in listing.stdout  # the built-ins are still there


def test_the_plugin_s_own_tests_pass_against_the_installed_package(plugin):
    result = plugin.run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(plugin.source / "tests"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout, result.stdout


@asyncio_test
async def receive_the_ticker_snapshot(base_url: str) -> None:
    """One WebSocket round trip: the subscription's answer and snapshot pass the spike fault."""
    async with ExchangeClient(base_url, timeout=10) as client:
        await client.connect_ws()
        await client.subscribe("TICKER", "BTC/USD")
        snapshot = await client.receive_ws_message(timeout=10)
        assert snapshot["channel"] == "TICKER" and snapshot["snapshot"] is True


def test_a_daemon_runs_the_plugin_s_mode_from_an_ini_section(plugin_twistd, tmp_path):
    config = write_config(
        tmp_path / "plugin.ini", "mode = latency_spike", "layer = ws", "extra_ms = 50ms", "spike_ms = 1s"
    )
    daemon = Daemon(tmp_path, "--config", str(config))
    try:
        described = admin_get(daemon.base_url, "")
        receive_the_ticker_snapshot(daemon.base_url)
        events = admin_get(daemon.base_url, "/events")["events"]
        modes = admin_get(daemon.base_url, "/modes")["modes"]
    finally:
        daemon.stop()
    assert "Traceback (most recent call last)" not in daemon.output, daemon.output
    [fault] = described["faults"]
    assert (fault["name"], fault["mode"], fault["live"]) == ("spike", "latency_spike", True)
    assert fault["resolved"]["extra_ms"] == 50.0 and fault["resolved"]["spike_ms"] == 1000.0
    spiked = [event for event in events if event["fault"] == "spike"]
    assert spiked and {event["action"] for event in spiked} == {"latency_spike"}, events
    assert spiked[0]["spike_start"] is True and spiked[0]["delay_ms"] == 50.0
    assert any(event.get("channel") == "TICKER" and event.get("seq") == 0 for event in spiked), spiked
    [listed] = [mode for mode in modes if mode["name"] == "latency_spike"]
    assert [parameter["name"] for parameter in listed["parameters"]] == ["extra_ms", "spike_ms"]


def test_a_typo_in_the_plugin_s_parameters_stops_the_start_naming_section_and_key(plugin_twistd, tmp_path):
    config = write_config(
        tmp_path / "plugin.ini", "mode = latency_spike", "layer = ws", "extra_sm = 50ms", "spike_ms = -1s"
    )
    result = run_twistd(tmp_path, "--config", str(config))
    assert result.returncode != 0
    assert (
        f"{config}, line 12: [failure:spike] extra_sm = '50ms': unknown key for mode latency_spike; "
        "did you mean 'extra_ms'?"
    ) in result.stderr, result.stderr
    assert (
        f"{config}, line 13: [failure:spike] spike_ms = '-1s': a duration cannot be negative" in result.stderr
    )
    assert "Traceback" not in result.stdout + result.stderr
