"""The market data's part of checking a configuration: the price models named, the csv model's
recordings, and each ``[condition:NAME]`` section."""

from __future__ import annotations

from ..config import CONDITION_PREFIX, Config, Problem, SourceOf
from .conditions import ConditionError, parse_condition
from .registry import model_class
from .replay import ReplayFileError, read_prices

__all__ = ["check_condition_sections", "check_price_models"]


def check_price_models(config: Config, source_of: SourceOf) -> list[Problem]:
    """Unknown or broken price models, and csv models without a readable recording (a
    ``SectionValidator``)."""
    problems = []
    named = [("market_data", config.market_data.model)]
    named += [(f"symbol:{name}", config.symbols[name].model) for name in config.traded_symbols()]
    for section, model in named:
        if model is not None:
            try:
                model_class(model)
            except LookupError as error:
                problems.append(Problem(source_of(section), str(error), section, "model", model))
    for name, symbol in config.traded_symbols().items():
        if (symbol.model or config.market_data.model) != "csv":
            continue
        section = f"symbol:{name}"
        source = source_of(section)
        if symbol.replay_file is None:
            problems.append(Problem(source, "required by the csv price model", section, "replay_file"))
            continue
        try:
            read_prices(symbol.replay_file)
        except ReplayFileError as error:
            problems.append(Problem(source, str(error), section, "replay_file", symbol.replay_file))
    return problems


def check_condition_sections(config: Config, source_of: SourceOf) -> list[Problem]:
    """Each ``[condition:NAME]`` checked: its kind, factor, symbol and schedule (a ``SectionValidator``)."""
    problems = []
    for name, raw in config.conditions.items():
        section = f"{CONDITION_PREFIX}:{name}"
        try:
            parse_condition(name, raw, config.exchange.symbols)
        except ConditionError as error:
            source = source_of(section)
            problems += [
                Problem(source, reason, section, key, raw.get(key)) for key, reason in error.problems
            ]
    return problems
