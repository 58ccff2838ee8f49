"""The failures package knows no API dialect: importing any of its modules loads nothing of
``exchangesim.api``, and no module of it imports from there, even inside a function (each dialect
hands the wrappers its error shape instead)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import exchangesim.failures

PACKAGE = Path(exchangesim.failures.__file__).parent

IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
import exchangesim.failures as failures
for module in pkgutil.walk_packages(failures.__path__, "exchangesim.failures."):
    if not module.name.endswith(".__main__"):  # the CLI: runs when imported
        importlib.import_module(module.name)
print(json.dumps(sorted(name for name in sys.modules if name.startswith("exchangesim."))))
"""


def test_importing_every_failures_module_loads_nothing_of_the_api():
    # From the folder holding the package this test imported (not an installed copy, which may lag).
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_MODULE],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent.parent,
    )
    loaded = json.loads(result.stdout)
    assert "exchangesim.failures.modes.throttle" in loaded  # it did import them
    assert [name for name in loaded if name.startswith("exchangesim.api")] == []


def imported_modules(path: Path) -> list[str]:
    """Every module ``path`` imports, anywhere in it, as an absolute name."""
    package = ".".join(("exchangesim", *path.relative_to(PACKAGE.parent).with_suffix("").parts))
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return names


def test_no_failures_module_imports_from_the_api_even_lazily():
    offenders = {
        str(path.relative_to(PACKAGE)): name
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in imported_modules(path)
        if name == "exchangesim.api" or name.startswith("exchangesim.api.")
    }
    assert offenders == {}


def test_the_static_check_sees_relative_imports():
    # So the check above can fail: a relative import two levels up resolves to the api package.
    modes = PACKAGE / "modes" / "throttle.py"
    assert "exchangesim.failures.mode.FailureMode" in imported_modules(modes)
