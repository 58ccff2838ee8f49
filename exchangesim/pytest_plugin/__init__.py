"""The pytest plugin: an exchangesim daemon per session (or module, or test), a venue in memory per test,
faults and accounts as markers, and a report that says how to replay a failed test.

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
from ._async import AsyncAdmin, AsyncExchangesim
from ._daemon import Daemon, DaemonError
from ._faults import PRESETS, faults_of_markers, read_profile
from ._handle import Account, Exchangesim
from ._memory import exchangesim_memory
from ._report import log_section, summary_section

__all__ = [
    "PRESETS",
    "Account",
    "Admin",
    "AdminError",
    "AsyncAdmin",
    "AsyncExchangesim",
    "Daemon",
    "DaemonError",
    "Exchangesim",
    "exchangesim_memory",
    "read_profile",
    "seed_in_force",
]

DEFAULT_SEED = 42
SCOPES = ("session", "package", "module", "class", "function")
LOG_SECTION = "exchangesim daemon log"
SUMMARY_SECTION = "exchangesim"
# The test's venue (the daemon's handle, or one in memory) and its log's line count at the start.
_RUNNING = pytest.StashKey[tuple[Any, int]]()


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
    config.addinivalue_line(
        "markers",
        "exchangesim_accounts(**accounts): open (or reset) these accounts for this test, each with its"
        ' balances: exchangesim_accounts(alice={"USD": 1000}); then exchangesim.accounts["alice"]',
    )


def pytest_report_header(config: pytest.Config) -> str:
    scope = config.getoption("exchangesim_scope")
    return f"exchangesim: seed {seed_in_force(config)} (--exchangesim-seed to replay), scope {scope}"


def seed_in_force(config: pytest.Config) -> int:
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
def exchangesim_seed(pytestconfig: pytest.Config) -> int:
    """The seed in force: ``--exchangesim-seed``, else pytest-randomly's seed, else 42."""
    return seed_in_force(pytestconfig)


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
    seed = seed_in_force(pytestconfig)
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


@pytest.fixture
def exchangesim_async(exchangesim: Exchangesim) -> AsyncExchangesim:
    """The ``exchangesim`` daemon for asyncio tests: ``await exchangesim_async.admin.add_fault(...)``."""
    return AsyncExchangesim(exchangesim)


@pytest.fixture(autouse=True)
def _exchangesim_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """For a test that uses the simulator (the daemon, or ``exchangesim_memory``): note where its audit
    and log begin, open its marker's accounts and apply its marker's faults before it, removing them
    after it whatever its outcome."""
    markers = list(request.node.iter_markers("exchangesim_faults"))
    accounts = {
        name: balances
        for marker in reversed(list(request.node.iter_markers("exchangesim_accounts")))
        for name, balances in marker.kwargs.items()
    }
    in_memory = "exchangesim_memory" in request.fixturenames
    if not markers and not accounts and not in_memory and "exchangesim" not in request.fixturenames:
        yield
        return
    faults = faults_of_markers(markers, request.path.parent)
    handle = request.getfixturevalue("exchangesim_memory" if in_memory else "exchangesim")
    request.node.stash[_RUNNING] = (handle, handle.log_position())
    if not in_memory:
        handle.mark_test_start()
    for name, balances in accounts.items():
        _open_account(handle, name, balances)
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


def _open_account(handle: Any, name: str, balances: Any) -> None:
    """An account of the ``exchangesim_accounts`` marker: opened, or reset if an earlier test opened it."""
    if not isinstance(balances, dict):
        raise TypeError(f"exchangesim_accounts: {name}= takes balances such as {{'USD': 1000}}")
    try:
        if name in handle.accounts:
            handle.admin.reset_account(name, balances)
        else:
            handle.new_account(balances, name=name)
    except AdminError as error:
        pytest.fail(f"exchangesim_accounts: account {name!r} refused: {error}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that used the simulator says how to replay it, which faults were active and what
    they did (section ``exchangesim``), and what the venue logged since the test began (section
    ``exchangesim daemon log``, the client requests included)."""
    report = yield
    running = item.stash.get(_RUNNING, None)
    if report.failed and running is not None:
        handle, since = running
        daemon = getattr(handle, "daemon", None)
        where = "in memory" if daemon is None else f"daemon {handle.base_url}"
        exited = ""
        if daemon is not None and daemon.process.poll() is not None:
            exited = f"(the daemon exited with {daemon.process.returncode})\n"
            where += " (exited)"
        lines = handle.log_lines_so_far(since)  # before the summary's own requests to the venue
        report.sections.append((SUMMARY_SECTION, summary_section(item, handle, where)))
        report.sections.append((LOG_SECTION, log_section(lines, exited)))
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
