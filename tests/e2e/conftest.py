"""Fixtures the end-to-end suites share."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest

from .clients.driving import RunScenario, drive, quiet_daemon

pytest.register_assert_rewrite(f"{__package__}.clients.checks")  # its failures explained, as a test's are


@pytest.fixture(scope="module")
def run_scenario(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunScenario]:
    """Scenarios of the requesting module's ``CLIENT`` driver, against one quiet daemon the module shares."""
    client: str = request.module.CLIENT
    with quiet_daemon(tmp_path_factory.mktemp(client)) as daemon:
        yield partial(drive, client, daemon)
