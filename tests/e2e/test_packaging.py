"""A plain (non-editable) install, run from outside the repo, gives twistd the exchangesim plugin.

Running from the repo root would hide packaging bugs (the working directory is on sys.path), so the
wheel is installed into a new venv that borrows only the third-party packages of this one.
"""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHIPPED = ("setup.cfg", "pyproject.toml", "README.md", "exchangesim", "twisted")


def test_the_wheel_installs_the_dropin_and_the_package(tmp_path):
    # Built from a copy of what a release ships: building in place would leave build/ and an
    # egg-info in the repo, whose metadata (entry points) shadows the installed one later.
    source = tmp_path / "source"
    source.mkdir()
    for name in SHIPPED:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.cache")
            )
        else:
            shutil.copy(REPO / name, source / name)
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, source], check=True)
    [wheel] = dist.glob("exchangesim-*.whl")

    venv = tmp_path / "venv"
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

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    twistd_help = subprocess.run(
        [
            python,
            "-c",
            "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; run()",
            "--help",
        ],
        cwd=outside,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert "exchangesim" in twistd_help.stdout, twistd_help.stdout + twistd_help.stderr
    located = subprocess.check_output(
        [python, "-c", "import exchangesim.tap; print(exchangesim.tap.__file__)"],
        cwd=outside,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert Path(located).is_relative_to(site), located
    assert (site / "twisted" / "plugins" / "exchangesim_plugin.py").is_file()
    assert not (site / "twisted" / "plugins" / "__init__.py").exists()
    models = subprocess.check_output(
        [python, "-c", "from exchangesim.marketdata.registry import model_names; print(*model_names())"],
        cwd=outside,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert models.split() == [
        "csv",
        "gbm",
        "geometric_walk",
        "jump_diffusion",
        "ornstein_uhlenbeck",
        "random_walk",
        "stochastic_volatility",
    ]
