"""``exchangesim replay PATH [--fills CSV] [--orders CSV]`` (also ``python -m exchangesim.persistence``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .directory import PersistenceError
from .replay import replay, write_fills, write_orders


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="exchangesim", description="exchangesim tools.")
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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
