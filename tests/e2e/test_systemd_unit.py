"""etc/exchangesim.service: it verifies, it is locked down, it does not restart a configuration error, and
the README's install steps give it what it needs (its documentation, a plugin cache it need not write).

systemd-analyze is not installed by these tests: without it (Debian: apt-get install systemd) the checks
that run it are skipped, except on CI (the CI variable set), whose machines have it.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exchangesim.tap import CONFIG_ERROR_EXIT

from .daemon import TWISTD, Daemon
from .wheel import install_wheel

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "etc" / "exchangesim.service"
README = (REPO / "README.md").read_text(encoding="utf-8")
VENV = "/opt/exchangesim/venv"
MAX_EXPOSURE = 2.5  # systemd-analyze security calls up to 2.5 "OK"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None and not os.environ.get("CI"),
    reason="systemd-analyze is not installed (Debian: apt-get install systemd)",
)


def directives(text):
    """Each ``Key=value`` of a unit file, values in order (a key may repeat)."""
    found = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def install_steps():
    match = re.search(r"<!-- snippet: install-systemd -->\n```sh\n(.*?)```", README, re.DOTALL)
    assert match, "the README has no install-systemd steps"
    return [line.split("  #")[0].strip() for line in match.group(1).splitlines() if line.strip()]


def runnable_unit(tmp_path):
    """The unit as the README installs it, its twistd this venv's, so verify finds the program."""
    assert SYSTEMD_ANALYZE, (
        "systemd-analyze is missing on CI, whose machines have it: apt-get install systemd"
    )
    unit = UNIT.read_text(encoding="utf-8")
    assert f"{VENV}/bin/twistd --nodaemon --pidfile=" in unit
    local = tmp_path / "exchangesim.service"
    local.write_text(unit.replace(f"{VENV}/bin/twistd", TWISTD), encoding="utf-8")
    return local


@needs_systemd_analyze
def test_the_installed_unit_verifies(tmp_path):
    assert "systemd-analyze verify /etc/systemd/system/exchangesim.service" in install_steps()
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(runnable_unit(tmp_path))], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@needs_systemd_analyze
def test_systemd_rates_the_unit_ok(tmp_path):
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=yes", str(runnable_unit(tmp_path))],
        capture_output=True,
        text=True,
    )
    if "--offline" in result.stderr and ("unrecognized" in result.stderr or "Unknown" in result.stderr):
        pytest.skip("this systemd-analyze cannot rate a unit file offline (systemd 250 or newer can)")
    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?) (\w+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match[1]) <= MAX_EXPOSURE, result.stdout


def test_the_unit_has_the_hardening_the_readme_lists():
    found = directives(UNIT.read_text(encoding="utf-8"))
    assert found["DynamicUser"] == ["yes"]
    assert found["ProtectSystem"] == ["strict"]
    assert found["StateDirectory"] == ["exchangesim"] and found["LogsDirectory"] == ["exchangesim"]
    assert found["CapabilityBoundingSet"] == [""] and found["AmbientCapabilities"] == [""]
    assert found["SystemCallFilter"] == ["@system-service"]
    assert found["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]
    assert found["UMask"] == ["0077"]
    for key in ("MemoryDenyWriteExecute", "LockPersonality", "NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert found[key] == ["yes"], key


def test_a_configuration_error_is_not_restarted_a_crash_is():
    found = directives(UNIT.read_text(encoding="utf-8"))
    assert found["Restart"] == ["on-failure"]
    assert found["RestartPreventExitStatus"] == [str(CONFIG_ERROR_EXIT)]
    assert CONFIG_ERROR_EXIT not in (0, 1)  # a crash's status stays 1, restarted


def test_the_install_steps_put_the_readme_where_the_unit_documents_it():
    (documentation,) = directives(UNIT.read_text(encoding="utf-8"))["Documentation"]
    assert documentation.startswith("file://")
    assert f"install -m 0644 README.md {documentation.removeprefix('file://')}" in install_steps()


def test_the_plugin_cache_the_install_steps_write_as_root_leaves_the_daemon_nothing_to_write(tmp_path):
    """Without the step, the service's first start would try to write dropin.cache where it may not
    (``Unable to write to plugin cache ... error number 13``)."""
    steps = install_steps()
    (installing,) = [n for n, step in enumerate(steps) if f"{VENV}/bin/pip install ." in step]
    (refresh,) = [n for n, step in enumerate(steps) if "getPlugins(IPlugin)" in step]
    assert installing < refresh < steps.index("systemctl daemon-reload && systemctl enable --now exchangesim")
    python = install_wheel(tmp_path)
    site = site_packages(python)
    cache = site / "twisted" / "plugins" / "dropin.cache"
    assert not cache.exists()
    venv = python.parent.parent
    subprocess.run(["sh", "-c", steps[refresh].replace(VENV, str(venv))], check=True, cwd=tmp_path)
    written = cache.stat().st_mtime_ns, cache.read_bytes()
    # what the daemon does at start: find its plugin, from anywhere
    twistd = "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()"
    started = subprocess.run(
        [python, "-c", twistd, "exchangesim", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert started.stdout.startswith("exchangesim "), started.stdout + started.stderr
    assert (cache.stat().st_mtime_ns, cache.read_bytes()) == written


NO_WRITE_EXECUTE = """
import ctypes, os, sys
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit(f"PR_SET_MDWE: errno {ctypes.get_errno()}")
if len(sys.argv) > 1:
    os.execv(sys.argv[1], sys.argv[1:])
"""


def test_the_daemon_serves_under_memory_deny_write_execute(tmp_path):
    """The unit's MemoryDenyWriteExecute=yes, as the kernel's PR_SET_MDWE enforces it (Linux 6.3+, what
    systemd uses where it can): numpy, Twisted and Autobahn need no writable executable memory. (TLS
    does: pyOpenSSL's callbacks; the README's drop-in for an ssl: endpoint turns it off.)"""
    wrapper = tmp_path / "no_write_execute.py"
    wrapper.write_text(NO_WRITE_EXECUTE, encoding="utf-8")
    probe = subprocess.run([sys.executable, wrapper], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"this kernel cannot deny write+execute memory to a process ({probe.stderr.strip()})")
    daemon = Daemon(tmp_path, wrapper=(sys.executable, str(wrapper)))
    try:
        order = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.1", "price": "40000"}
        assert daemon.call("POST", "/api/v1/orders", order)[0] == 201
        assert daemon.call("GET", "/api/v1/orderbook?symbol=BTC/USD")[1]["bids"]  # the market runs
    finally:
        assert daemon.stop() == 0
    assert "Traceback" not in daemon.output and "write+execute" not in daemon.output, daemon.output


def site_packages(python):
    """The site-packages folder of the venv whose python is ``python``."""
    return Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
