"""Schemathesis fuzzes both dialects from their OpenAPI documents: no server error, and the daemon
stays up. Binance's document is a hand-written subset; its signed routes, fuzzed unsigned, must all be
refused with a 4xx."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .daemon import running

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# The fuzzer is one client: past the default request weight it would meet only 429s and 418s.
CONFIG = "[server]\nrequest_rate_limit = 1000000\n"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with running(tmp_path_factory.mktemp("fuzz"), CONFIG) as daemon:
        yield daemon


def fuzz(daemon, api, tmp_path):
    """Run schemathesis over ``api``'s openapi.json; returns its result once health says ok."""
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
    with urllib.request.urlopen(f"{daemon.base_url}/api/v1/health", timeout=10) as response:
        assert json.load(response)["status"] == "ok"
    return result


def test_fuzzing_the_native_api_finds_no_server_error(daemon, tmp_path):
    result = fuzz(daemon, f"{daemon.base_url}/api/v1", tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]


def test_fuzzing_the_binance_dialect_finds_no_server_error(daemon, tmp_path):
    result = fuzz(daemon, f"{daemon.base_url}/api/v3", tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "/order/cancelReplace" in result.stdout  # the document's routes were all fuzzed


def test_every_signed_route_of_the_binance_document_refuses_an_unsigned_request(daemon):
    api = f"{daemon.base_url}/api/v3"
    with urllib.request.urlopen(f"{api}/openapi.json", timeout=10) as response:
        document = json.load(response)
    signed = [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if any(parameter["name"] == "signature" for parameter in operation["parameters"])
    ]
    assert len(signed) >= 9
    for method, path in signed:
        request = urllib.request.Request(
            f"{api}{path}?symbol=BTCUSD&timestamp=1&signature=00",
            method=method,
            data=b"" if method == "POST" else None,
        )
        request.add_header("X-MBX-APIKEY", "no-such-key")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401, (method, path)
