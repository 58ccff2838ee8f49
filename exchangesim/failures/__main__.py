"""``python -m exchangesim.failures``: the installed failure modes, their layers and parameters."""

from __future__ import annotations

import sys
import textwrap

from .registry import mode_for, mode_names
from .spec import COMMON


def main() -> int:
    broken = 0
    print("Common keys of every [failure:NAME]: mode, layer (rest, ws, tcp), stage (rest: pre_engine,")
    print("post_engine), direction (ws, tcp: in, out, both), and:")
    for parameter in COMMON:
        print(f"  {parameter.name:<12} {parameter.doc}")
    for name in mode_names():
        try:
            mode = mode_for(name)
        except LookupError as error:
            print(f"\n{name}: cannot load: {error}")
            broken += 1
            continue
        stages = f"; stages {', '.join(mode.stages)}" if mode.stages else ""
        print(f"\n{mode.name}: {mode.description}\n  layers {', '.join(mode.layers)}{stages}")
        for parameter in mode.parameters:
            default = "" if parameter.default is None else f" (default {parameter.default})"
            doc = textwrap.shorten(parameter.doc, 70)
            print(f"  {parameter.name:<16} {parameter.kind.name:<9}{default} {doc}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
