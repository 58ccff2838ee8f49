"""Schemathesis fuzzes the daemon from its own OpenAPI document: no server error, and it stays up."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from .daemon import Daemon

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


def test_fuzzing_the_native_api_finds_no_server_error(tmp_path):
    daemon = Daemon(tmp_path)
    try:
        api = f"{daemon.base_url}/api/v1"
        result = subprocess.run(
            [
                SCHEMATHESIS,
                "run",
                f"{api}/openapi.json",
                "--url",
                api,
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "15",
                "--seed",
                "20261125",
                "--no-color",
            ],
            cwd=tmp_path,  # it keeps a report folder in its working directory
            capture_output=True,
            text=True,
            timeout=300,
        )
        with urllib.request.urlopen(f"{api}/health", timeout=10) as response:
            alive = json.load(response)["status"]
    finally:
        daemon.stop()
    assert result.returncode == 0, result.stdout[-4000:]
    assert alive == "ok"
    assert "Traceback" not in daemon.output
