"""The configuration as the daemon takes it: ``exchangesim.config``'s own checks and those of each
package that reads sections of it (failures, market data), every problem reported at once.

``twistd exchangesim``, ``ExchangeServer`` and ``exchangesim.testing`` load and check through here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from . import config as _config
from .config import Config, Problem, SectionValidator
from .failures.sections import check_fault_sections
from .marketdata.sections import check_condition_sections, check_price_models

__all__ = ["SECTION_VALIDATORS", "check_config", "load_config"]

SECTION_VALIDATORS: tuple[SectionValidator, ...] = (
    check_price_models,
    check_fault_sections,
    check_condition_sections,
)
"""Every package's check of the sections it reads, in the order their problems are listed."""


def load_config(paths: Iterable[str | os.PathLike[str]] = ()) -> Config:
    """Defaults, then each file in turn (later files override earlier ones), every section checked;
    raise ``ConfigError`` with every problem."""
    return _config.read_config(paths, validators=SECTION_VALIDATORS)


def check_config(config: Config) -> list[Problem]:
    """Every problem of a ``Config`` built in Python, as loading a file would find them."""
    return _config.config_problems(config, validators=SECTION_VALIDATORS)
