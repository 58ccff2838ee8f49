"""``python -m exchangesim.client``: open the dashboard of a running daemon, or run the built-in scenarios
against it (with a fault profile applied), with a report for people and files for CI."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from ..admin_client import Admin, AdminError
from ..fault_profiles import ProfileError, profile_names
from ._client import ExchangeClient
from .dashboard import open_dashboard
from .errors import ExchangeError
from .profiles import Profile, ProfileConflictError, applied, load_profile
from .report import ProgressDisplay, run_document, summary_table, write_json, write_junit
from .runner import ScenarioResult, run_scenarios
from .scenarios import SCENARIOS, Scenario, ScenarioContext

__all__ = ["main", "parser"]

ADMIN_TOKEN_ENV = "EXCHANGESIM_ADMIN_TOKEN"


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m exchangesim.client",
        description="Open the web dashboard of a running exchangesim (the default), or run its built-in "
        "scenarios against it, with a fault profile applied if asked.",
    )
    cli.add_argument("--base-url", default="http://127.0.0.1:8765", help="the daemon (default: %(default)s)")
    cli.add_argument(
        "--symbol", default="BTC/USD", help="the symbol to trade and watch (default: %(default)s)"
    )
    cli.add_argument("--api-key", help="act for this key's account (default: the daemon's default account)")
    cli.add_argument("--api-secret", help="sign requests with this secret (and authenticate the WebSocket)")
    cli.add_argument(
        "--admin-token",
        default=os.environ.get(ADMIN_TOKEN_ENV),
        help=f"the daemon's admin token (default: ${ADMIN_TOKEN_ENV}); needed by --faults, and to give each "
        "scenario an account of its own and check the faults it saw against the audit",
    )
    cli.add_argument("--no-browser", action="store_true", help="print the dashboard URL, do not open it")
    run = cli.add_argument_group("scenarios")
    run.add_argument("--scenarios", action="store_true", help="run every built-in scenario")
    run.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        metavar="NAME",
        help=f"run this scenario (again for more): {', '.join(SCENARIOS)}",
    )
    run.add_argument(
        "--faults",
        metavar="PROFILE",
        help=f"apply this fault profile while the scenarios run: {', '.join(profile_names())}, "
        "or the path of an INI file of [failure:NAME] sections",
    )
    run.add_argument("--list", action="store_true", help="list the scenarios and the fault profiles")
    run.add_argument("--json", metavar="PATH", help="write the results as JSON")
    run.add_argument("--junit", metavar="PATH", help="write the results as JUnit XML")
    run.add_argument(
        "--orders", type=_positive(int), default=200, help="rapid-orders: how many (default 200)"
    )
    run.add_argument(
        "--timeout", type=_positive(float), default=60.0, help="seconds a scenario may take (default 60)"
    )
    run.add_argument(
        "--patience",
        type=_positive(float),
        default=20.0,
        help="seconds a scenario waits for the faults the profile injects to show (default 20)",
    )
    return cli


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the command; the exit status: 0 when every scenario passed (or the dashboard is up)."""
    cli = parser()
    options = cli.parse_args(argv)
    console = console or Console(soft_wrap=True)  # messages whole in CI logs; tables fit the width
    if options.list:
        _list(console)
        return 0
    names = list(SCENARIOS) if options.scenarios else (options.scenario or [])
    if options.scenarios and options.scenario:
        cli.error("give --scenarios (all) or --scenario NAME, not both")
    if not names:
        for flag in ("faults", "json", "junit"):
            if getattr(options, flag):
                cli.error(f"--{flag} goes with --scenarios or --scenario NAME")
    if options.faults and not options.admin_token:
        cli.error(f"--faults needs the admin token: --admin-token or ${ADMIN_TOKEN_ENV}")
    if options.api_secret and not options.api_key:
        cli.error("--api-secret needs the --api-key it belongs to")
    profile = None
    if options.faults:
        try:
            profile = load_profile(options.faults)
        except ProfileError as error:
            console.print(str(error), markup=False, highlight=False)
            return 2
    if not names:
        return asyncio.run(_dashboard(options, console))
    try:
        return asyncio.run(_scenarios(options, names, profile, console))
    except (KeyboardInterrupt, asyncio.CancelledError):
        console.print("interrupted: the fault profile, if any, was removed")
        return 130


async def _dashboard(options: argparse.Namespace, console: Console) -> int:
    async with ExchangeClient(options.base_url, options.api_key, options.api_secret) as client:
        return await open_dashboard(client, options.symbol, console, browser=not options.no_browser)


async def _scenarios(
    options: argparse.Namespace, names: list[str], profile: Profile | None, console: Console
) -> int:
    async with ExchangeClient(options.base_url, timeout=10.0) as client:
        try:
            await client.get_health()
            listed = await client.get_symbols()
        except ExchangeError as error:
            console.print(f"[red]exchangesim at {options.base_url} does not answer:[/] {escape(str(error))}")
            return 1
    traded = [instrument["symbol"] for instrument in listed["symbols"]]
    if options.symbol not in traded:
        console.print(f"[red]--symbol {escape(options.symbol)} is not traded there:[/] {', '.join(traded)}")
        return 2
    _cancel_on_sigterm()
    admin = Admin(options.base_url, options.admin_token) if options.admin_token else None
    if admin is None:
        console.print("no admin token: the scenarios share one account and the audit is not checked")
    context = ScenarioContext(
        options.base_url,
        options.symbol,
        options.api_key,
        options.api_secret,
        expected=profile.kinds if profile else frozenset(),
        orders=options.orders,
        patience=options.patience,
    )
    scenarios = [SCENARIOS[name] for name in names]
    try:
        results = await _run(scenarios, context, admin, profile, options.timeout, console)
    except AdminError as error:
        trouble = "refused a request (is the admin token right?)" if error.status else "did not answer"
        console.print(f"[red]the admin API {trouble}:[/] {escape(str(error))}")
        return 1
    except ProfileConflictError as error:
        console.print(
            f"[red]fault profile {profile.name if profile else ''} not applied:[/] {escape(str(error))}"
        )
        return 1
    name = profile.name if profile else None
    console.print(summary_table(results, name))
    if options.json:
        kinds = sorted(profile.kinds) if profile else []
        write_json(
            options.json,
            run_document(
                results, base_url=options.base_url, symbol=options.symbol, profile=name, kinds=kinds
            ),
        )
    if options.junit:
        write_junit(options.junit, results, name)
    passed = sum(result.passed for result in results)
    console.print(f"{passed} of {len(results)} scenarios passed")
    return 0 if passed == len(results) else 1


async def _run(
    scenarios: list[Scenario],
    context: ScenarioContext,
    admin: Admin | None,
    profile: Profile | None,
    timeout: float,
    console: Console,
) -> list[ScenarioResult]:
    """Run the scenarios under a progress display, inside the profile when there is one."""
    with ProgressDisplay(console, len(scenarios)) as display:

        async def run() -> list[ScenarioResult]:
            return await run_scenarios(
                scenarios, context, admin, timeout=timeout, on_start=display.started, on_done=display.finished
            )

        if profile is None:
            return await run()
        assert admin is not None  # main() refuses --faults without a token
        with applied(admin, profile):
            return await run()


def _cancel_on_sigterm() -> None:
    """SIGTERM cancels the run as Ctrl-C does, so the profile's faults are removed on the way out."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    assert task is not None

    def cancel() -> None:
        if not task.done():
            task.cancel()
            loop.call_later(0.2, cancel)  # again: asyncio.wait_for before 3.12 can lose a cancellation

    loop.add_signal_handler(signal.SIGTERM, cancel)


def _list(console: Console) -> None:
    console.print("scenarios (the fault kinds each is paired with):")
    for scenario in SCENARIOS.values():
        paired = ", ".join(scenario.pairs_with) or "-"
        console.print(
            f"  {scenario.name:14} {scenario.summary} [{paired}]",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    console.print("fault profiles (--faults; the kinds of fault they inject):")
    for name in profile_names():
        kinds = ", ".join(sorted(load_profile(name).kinds))
        console.print(f"  {name:18} {kinds}", highlight=False, markup=False)


def _positive(kind: type) -> object:
    def convert(text: str) -> object:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    return convert
