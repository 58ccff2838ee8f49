"""``exchangesim COMMAND ...``: the project's command; each command hands the rest of the line to the tool
it names, which also runs as ``python -m exchangesim.<package>`` (the daemon itself is ``twistd
exchangesim``). A tool is imported only when its command runs, so ``exchangesim --help`` stays quick."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from . import __version__

__all__ = ["COMMANDS", "Command", "main"]


def _replay(args: list[str]) -> int:
    from .persistence.__main__ import main

    return main(["replay", *args])


def _recover(args: list[str]) -> int:
    from .persistence.__main__ import main

    return main(["recover", *args])


def _config(args: list[str]) -> int:
    _without_arguments("config", args)
    from .config import render_ini

    print(render_ini(), end="")
    return 0


def _faults(args: list[str]) -> int:
    _without_arguments("faults", args)
    from .failures.__main__ import main

    return main()


def _dashboard(args: list[str]) -> int:
    from .client.cli import main

    return main(args)


def _scenarios(args: list[str]) -> int:
    from .client.cli import main, parser

    chosen, _ = parser().parse_known_args(args)
    return main(args if chosen.scenario or chosen.list else ["--scenarios", *args])


class Command(NamedTuple):
    """What a command does (its line in ``exchangesim --help``), the tool's own name for it, and how
    it runs the rest of the command line (returning the exit status)."""

    summary: str
    also: str
    run: Callable[[list[str]], int]


COMMANDS = {
    "replay": Command(
        "replay a persistence folder or journal segment: a summary, fills and orders as CSV",
        "python -m exchangesim.persistence replay",
        _replay,
    ),
    "recover": Command(
        "check a persistence folder the daemon refuses to start on; --salvage gets past the damage",
        "python -m exchangesim.persistence recover",
        _recover,
    ),
    "config": Command(
        "print the default configuration as a documented INI file",
        "python -m exchangesim.config",
        _config,
    ),
    "faults": Command(
        "list the installed failure modes, their layers and parameters",
        "python -m exchangesim.failures",
        _faults,
    ),
    "dashboard": Command(
        "open the web dashboard of a running daemon",
        "python -m exchangesim.client",
        _dashboard,
    ),
    "scenarios": Command(
        "run the built-in scenarios against a running daemon (all, or --scenario NAME), with --faults",
        "python -m exchangesim.client --scenarios",
        _scenarios,
    ),
}
"""Every command, in the order ``exchangesim --help`` lists them."""


def _parser() -> argparse.ArgumentParser:
    also = "\n".join(f"  {name:<11} {command.also}" for name, command in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="exchangesim",
        description="exchangesim's tools; the daemon itself is twistd exchangesim. "
        "exchangesim COMMAND --help tells more about a command.",
        epilog=f"Each command also runs as:\n{also}",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # the epilog's table as written
    )
    parser.add_argument("--version", action="version", version=f"exchangesim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        commands.add_parser(name, help=command.summary)
    return parser


def _without_arguments(name: str, args: list[str]) -> None:
    """Refuse arguments to a command that takes none (``--help`` says what it does)."""
    argparse.ArgumentParser(prog=f"exchangesim {name}", description=COMMANDS[name].summary).parse_args(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    chosen = _parser().parse_args(args[:1])  # --help, --version, no command or an unknown one: it exits
    return COMMANDS[chosen.command].run(args[1:])
