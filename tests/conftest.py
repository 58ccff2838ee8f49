"""Fixtures every test gets."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _in_own_folder(tmp_path, monkeypatch):
    """Run each test in an empty folder of its own: defaults that write under the working directory
    (``[persistence] path``) then never touch the repository, nor carry state from one test to the next."""
    monkeypatch.chdir(tmp_path)
