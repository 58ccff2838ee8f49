"""A plain (non-editable) install, run from outside the repo, gives twistd the exchangesim plugin.

Running from the repo root would hide packaging bugs (the working directory is on sys.path), so the
wheel is installed into a new venv that borrows only the third-party packages of this one.
"""

import subprocess
from pathlib import Path

from .wheel import install_wheel


def test_the_wheel_installs_the_dropin_and_the_package(tmp_path):
    python = install_wheel(tmp_path)
    site = site_packages(python)

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


def site_packages(python):
    """The site-packages folder of the venv whose python is ``python``."""
    return Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
