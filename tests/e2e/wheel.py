"""Build the wheel of what a release ships and install it into a fresh venv, as a user would (offline:
the venv borrows this one's third-party packages as a plain path, DESIGN §10.10)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ("setup.cfg", "pyproject.toml", "README.md", "exchangesim", "twisted")
USER_ENV = {"PATH": "/usr/bin:/bin"}
"""The environment a user's commands run with: nothing of this repository's."""


def install_wheel(folder: Path) -> Path:
    """Build the wheel from a copy of the shipped files under ``folder`` and install it into a new
    venv there; returns the venv's python."""
    source = folder / "source"
    source.mkdir()
    for name in SHIPPED:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.cache")
            )
        else:
            shutil.copy(REPO / name, source / name)
    dist = folder / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, source], check=True)
    [wheel] = dist.glob("exchangesim-*.whl")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    # Dependencies come from this environment as a plain path (its editable-install hooks are not run).
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([*pip, "--python", python, "install", "--no-deps", "--no-index", wheel], check=True)
    return python
