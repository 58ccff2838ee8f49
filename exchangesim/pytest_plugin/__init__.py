"""The pytest plugin: an exchangesim daemon per session (or module, or test), faults as markers.

Loaded through the ``pytest11`` entry point when exchangesim is installed; ``-p no:exchangesim`` turns it
off. See "Test your bot with pytest" in the README.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._admin import Admin, AdminError
from ._daemon import Daemon, DaemonError
from ._faults import PRESETS, faults_of_markers, read_profile
from ._handle import Account, Exchangesim

__all__ = [
    "PRESETS",
    "Account",
    "Admin",
    "AdminError",
    "Daemon",
    "DaemonError",
    "Exchangesim",
    "read_profile",
]

DEFAULT_SEED = 42
SCOPES = ("session", "package", "module", "class", "function")
LOG_SECTION = "exchangesim daemon log"
MAX_LOG_LINES = 2000
_RUNNING = pytest.StashKey[tuple[Exchangesim, int]]()  # the test's daemon, and its log line at the start


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("exchangesim", "exchangesim: a simulated exchange for the tests")
    group.addoption(
        "--exchangesim-scope",
        choices=SCOPES,
        default="session",
        help="how long one exchangesim daemon lives (default: session; one per xdist worker)",
    )
    group.addoption(
        "--exchangesim-seed",
        type=int,
        default=None,
        help=f"the daemon's [exchange] seed (default: pytest-randomly's seed if active, else {DEFAULT_SEED})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "exchangesim_faults(*presets_or_ini_paths, name=None, mode=None, **keys): inject these faults "
        f"into the exchangesim daemon for this test only (presets: {', '.join(PRESETS)})",
    )


def pytest_report_header(config: pytest.Config) -> str:
    scope = config.getoption("exchangesim_scope")
    return f"exchangesim: seed {exchangesim_seed(config)} (--exchangesim-seed to replay), scope {scope}"


def exchangesim_seed(config: pytest.Config) -> int:
    """``--exchangesim-seed``, else pytest-randomly's seed when that plugin is active, else 42."""
    given = config.getoption("exchangesim_seed")
    if given is not None:
        return given
    if config.pluginmanager.hasplugin("randomly"):
        seed = getattr(config.option, "randomly_seed", None)
        if isinstance(seed, int):
            return seed
    return DEFAULT_SEED


def _scope(fixture_name: str, config: pytest.Config) -> str:
    return config.getoption("exchangesim_scope")


@pytest.fixture(scope="session")
def exchangesim_config() -> str | os.PathLike[str] | None:
    """INI text or a path, read after the plugin's own settings: override it in a suite's conftest
    (at session scope, or one at least as wide as ``--exchangesim-scope``)."""
    return None


@pytest.fixture(scope=_scope)
def exchangesim(
    exchangesim_config: Any, tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[Exchangesim]:
    """A running exchangesim daemon on a free loopback port, stopped at the end of its scope."""
    seed = exchangesim_seed(pytestconfig)
    token = secrets.token_hex(16)
    workdir = tmp_path_factory.mktemp("exchangesim")
    base = workdir / "pytest-base.ini"
    base.write_text(
        "\n".join(
            [
                "[server]",
                f"admin_token = {token}",
                # A whole suite shares one daemon and, without keys, one budget: the per-key limit
                # would answer a busy suite 429s it did not ask for (a suite's config may set it back).
                "request_rate_limit = 100000000",
                "[exchange]",
                f"seed = {seed}",
                "[failures]",
                "enabled = true",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    configs = [base]
    user = _user_config(exchangesim_config, workdir)
    if user is not None:
        configs.append(user)
    args = [arg for config in configs for arg in ("--config", str(config))]
    handle = Exchangesim(Daemon(workdir, args), token, seed)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(autouse=True)
def _exchangesim_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """For a test that uses the daemon: note where its audit and log begin, and apply its marker's
    faults before it, removing them after it whatever its outcome."""
    markers = list(request.node.iter_markers("exchangesim_faults"))
    if not markers and "exchangesim" not in request.fixturenames:
        yield
        return
    faults = faults_of_markers(markers, request.path.parent)
    handle: Exchangesim = request.getfixturevalue("exchangesim")
    request.node.stash[_RUNNING] = (handle, len(handle.daemon.lines))
    handle.mark_test_start()
    added: list[str] = []
    try:
        for name, keys in faults.items():
            if "mode" not in keys:
                raise ValueError(f"exchangesim_faults: fault {name!r} has no mode")
            try:
                handle.admin.add_fault(name, **keys)
            except AdminError as error:
                pytest.fail(f"exchangesim_faults: fault {name!r} refused: {error}", pytrace=False)
            added.append(name)
        yield
    finally:
        for name in reversed(added):
            try:
                handle.admin.remove_fault(name)
            except AdminError as error:
                if error.status != 404:  # the test removed it itself
                    raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that used the daemon carries what the daemon printed since the test began."""
    report = yield
    running = item.stash.get(_RUNNING, None)
    if report.failed and running is not None:
        handle, since = running
        lines = handle.daemon.lines[since:]
        text = "".join(lines[-MAX_LOG_LINES:])
        if len(lines) > MAX_LOG_LINES:
            text = f"({len(lines) - MAX_LOG_LINES} earlier lines left out)\n{text}"
        if handle.daemon.process.poll() is not None:
            text += f"(the daemon exited with {handle.daemon.process.returncode})\n"
        report.sections.append((LOG_SECTION, text or "(the daemon printed nothing during this test)\n"))
    return report


def _user_config(value: Any, workdir: Path) -> Path | None:
    """The suite's config as a file: a path as given, INI text written out."""
    if value is None or value == "":
        return None
    if isinstance(value, os.PathLike):
        return Path(value).resolve()
    if isinstance(value, str):
        if "\n" in value or value.lstrip().startswith("["):
            path = workdir / "exchangesim_config.ini"
            path.write_text(value, encoding="utf-8")
            return path
        return Path(value).resolve()
    raise TypeError(f"exchangesim_config must give INI text or a path, not {value!r}")
