"""``exchangesim replay PATH [--fills CSV] [--orders CSV]`` and ``exchangesim recover DIR [--salvage]``
(also ``python -m exchangesim.persistence``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from .directory import PersistenceError, StateDirectory
from .replay import replay, write_fills, write_orders
from .salvage import examine, salvage

RECOVER_DESCRIPTION = """\
Check a [persistence] folder as the daemon's start does, without starting anything: whether it starts as
it is, and if not, what is damaged or missing (a journal record that fails its checksum, a segment
missing or shorter than a snapshot says, a snapshot that cannot be read), what is intact, and what
getting past it would lose. The daemon never gets past damage by itself: it refuses to start, so nothing
acknowledged is dropped unless you decide so. (A torn last record, which the process died writing and
never acknowledged, is no damage: the daemon drops it itself.) Stop the daemon first: the folder is
locked while it runs.
Exit status: 0 when the folder starts as it is (or was salvaged), 1 otherwise.
"""
SALVAGE_HELP = (
    "get past the damage: move every damaged file, whole, into DIR/damaged-<UTC time>/ (kept as"
    " evidence), keep what is intact (the newest whole snapshot and the journal after it up to the"
    " damage; a damaged segment's whole records before the damage stay in place as a copy cut there),"
    " so the next start recovers from that; and print what was lost: the whole records still found in"
    " what was moved, by command, and the orders from which id on. Never the default: without it"
    " nothing is changed"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="exchangesim", description="exchangesim tools.")
    parser.add_argument("--version", action="version", version=f"exchangesim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    replaying = commands.add_parser(
        "replay",
        help="replay a persistence folder or journal segment and summarise it",
        description="Replay a [persistence] folder (from its oldest snapshot) or one journal segment"
        " into a fresh engine, print a summary, and export fills and orders as CSV.",
    )
    replaying.add_argument("path", help="the [persistence] path folder, or one journal-NNNNNNNN file in it")
    replaying.add_argument("--fills", metavar="CSV", help="write every trade to this CSV file")
    replaying.add_argument(
        "--orders",
        metavar="CSV",
        help="write the last state of every order (those the snapshot kept, and every one the journal"
        " touched) to this CSV file",
    )
    recovering = commands.add_parser(
        "recover",
        help="check a persistence folder the daemon refuses to start on; --salvage gets past the damage",
        description=RECOVER_DESCRIPTION,
    )
    recovering.add_argument("path", metavar="DIR", help="the [persistence] path folder")
    recovering.add_argument("--salvage", action="store_true", help=SALVAGE_HELP)
    args = parser.parse_args(argv)
    if args.command == "recover":
        return _recover(Path(args.path), args.salvage)
    try:
        result = replay(args.path)
    except (PersistenceError, OSError) as error:
        print(f"exchangesim replay: {error}", file=sys.stderr)
        return 1
    print(result.summary())
    for option, write in ((args.fills, write_fills), (args.orders, write_orders)):
        if option:
            with open(option, "w", newline="", encoding="utf-8") as file:
                write(result, file)
    return 0


def _recover(path: Path, salvaging: bool) -> int:
    if not path.is_dir():
        print(f"exchangesim recover: {path} is not a folder", file=sys.stderr)
        return 1
    try:
        directory = StateDirectory.open(path)  # locked: never while a daemon uses it
        try:
            found = examine(directory)
            if salvaging and not found.whole:
                salvage(found, directory)
        finally:
            directory.close()
    except (PersistenceError, OSError) as error:
        print(f"exchangesim recover: {error}", file=sys.stderr)
        return 1
    print(found.report())
    return 0 if found.whole or found.moved_to is not None else 1


if __name__ == "__main__":
    sys.exit(main())
