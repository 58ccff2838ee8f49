"""The engine is sans-IO: importing it loads no Twisted (checked in a fresh interpreter)."""

import subprocess
import sys


def test_importing_the_engine_loads_no_twisted():
    code = (
        "import sys, exchangesim.engine, exchangesim.engine.exchange\n"
        "loaded = sorted(m for m in sys.modules if m == 'twisted' or m.startswith('twisted.'))\n"
        "print(loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
