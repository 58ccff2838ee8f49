"""Read INI (or the seed's JSON) files into a ``Config``, collecting every problem before refusing.

The package checks the sections it owns; the packages that read others (``[failure:NAME]``, a price
model's keys) check theirs through the ``SectionValidator`` they hand to ``read_config`` and
``config_problems``, so one load still reports every problem at once.
"""

from __future__ import annotations

import configparser
import difflib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ._kinds import KIND, PATH, SettingError
from ._locations import Locations, ini_locations, json_line, json_locations, json_text
from ._sections import (
    CONDITION_PREFIX,
    FAILURE_PREFIX,
    NAMED_SECTIONS,
    RESERVED_ACCOUNTS,
    SECTIONS,
    Config,
)
from ._seedjson import sections_from_seed_json

__all__ = ()

PROGRAMMATIC = "<Config>"
"""The source named in problems found in a ``Config`` built in Python rather than read from a file."""

SourceOf = Callable[[str], str]
"""The file a section (``"failure:lag"``) came from, or ``PROGRAMMATIC``."""


@attrs.frozen
class Problem:
    """One thing wrong with the configuration, and where it is."""

    source: str
    reason: str
    section: str | None = None
    key: str | None = None
    value: Any = None
    line: int | None = None
    written: str | None = None
    """How the file names the setting when that is not ``[section] key``: ``[exchange] Seed`` (keys are
    case-insensitive) or a config.json path, ``server.port``."""
    written_value: str | None = None
    """The value as a config.json writes it (JSON text), shown instead of the INI value it became."""

    def __str__(self) -> str:
        place = self.source if self.line is None else f"{self.source}, line {self.line}"
        setting = "" if self.section is None else f"[{self.section}]"
        if self.key is not None:
            setting += f" {self.key} = {_shown(self.value)}" if self.value is not None else f" {self.key}"
        if self.written is None:
            return f"{place}: {setting}: {self.reason}" if setting else f"{place}: {self.reason}"
        if self.written.startswith("["):  # an INI key spelled otherwise: the spelling, the INI value
            written = self.written + ("" if self.value is None else f" = {_shown(self.value)}")
            return f"{place}: {written}: {self.reason}"
        written = self.written + ("" if self.written_value is None else f" = {self.written_value}")
        read_as = f" (read as {setting})" if setting else ""
        return f"{place}: {written}: {self.reason}{read_as}"


class ConfigError(Exception):
    """The configuration (or a fault profile: ``subject``) cannot be used; ``problems`` lists every
    reason at once."""

    def __init__(self, problems: Sequence[Problem], subject: str = "configuration") -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"invalid {subject} ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


SectionValidator = Callable[[Config, SourceOf], list[Problem]]
"""One package's check of the sections it reads: the problems in a whole configuration, each naming its
source (``source_of(section)``), section and key; ``read_config`` adds the line and the key as written."""


def read_config(
    paths: Iterable[str | os.PathLike[str]] = (), *, validators: Iterable[SectionValidator]
) -> Config:
    """Defaults, then each file in turn (later files override earlier ones), checked by this package and
    by each of ``validators``; raise ``ConfigError`` with every problem."""
    config = Config()
    problems: list[Problem] = []
    origins: dict[str, str] = {}
    located: dict[str, Locations] = {}
    for path in map(os.fspath, paths):
        for section, items in _read(path, problems, located.setdefault(path, {})):
            origins[section] = path
            _apply(config, path, section, items, problems)
    for section, source in origins.items():
        prefix, _, name = section.partition(":")
        if prefix == "symbol" and name in config.symbols and name not in config.exchange.symbols:
            problems.append(Problem(source, "this symbol is not listed in [exchange] symbols", section))
    problems += config_problems(config, origins, validators=validators)
    if problems:
        raise ConfigError([_located(problem, located) for problem in problems])
    return config


def config_problems(
    config: Config, origins: dict[str, str] | None = None, *, validators: Iterable[SectionValidator]
) -> list[Problem]:
    """Problems of values that are valid alone but not together, then each of ``validators``' (also run
    on programmatic configs); ``origins`` maps a section to its file."""
    origins = origins or {}
    problems = []
    for name in config.exchange.symbols:
        section = f"symbol:{name}"
        symbol = config.symbols.get(name)
        if symbol is None:
            problems.append(
                Problem(
                    origins.get("exchange", PROGRAMMATIC),
                    f"{name} has no [{section}] section",
                    "exchange",
                    "symbols",
                    ", ".join(config.exchange.symbols),
                )
            )
            continue
        problems += _section_problems(symbol, section, origins)
    owners: dict[str, str] = {}
    traded = {asset for symbol in config.traded_symbols() for asset in symbol.split("/")}
    for name, account in config.named_accounts.items():
        section = f"account:{name}"
        source = origins.get(section, PROGRAMMATIC)
        if name in RESERVED_ACCOUNTS:
            problems.append(Problem(source, f"reserved for {RESERVED_ACCOUNTS[name]}", section))
        problems += _section_problems(account, section, origins)
        if account.api_key in owners:
            reason = f"the same key as [account:{owners[account.api_key]}]"
            problems.append(Problem(source, reason, section, "api_key", account.api_key))
        elif account.api_key is not None:
            owners[account.api_key] = name
        if config.server.require_signature and not account.api_secret:
            problems.append(Problem(source, "required by [server] require_signature", section, "api_secret"))
        untraded = sorted(set(account.balances or ()) - traded)
        if untraded:
            reason = f"no listed symbol trades {', '.join(untraded)}; traded: {', '.join(sorted(traded))}"
            problems.append(Problem(source, reason, section, "balances", account.balances))
    for validate in validators:
        problems += validate(config, lambda section: origins.get(section, PROGRAMMATIC))
    return problems


def ini_parser() -> configparser.ConfigParser:
    """The parser of every INI file the daemon reads: no interpolation, no DEFAULT section, and a
    comment may follow a value after whitespace (``fsync = batch  # the default``)."""
    return configparser.ConfigParser(
        interpolation=None, default_section="\0", inline_comment_prefixes=("#", ";")
    )


def _section_problems(settings: Any, section: str, origins: dict[str, str]) -> list[Problem]:
    source = origins.get(section, PROGRAMMATIC)
    return [
        Problem(source, reason, section, key, getattr(settings, key)) for key, reason in settings.problems()
    ]


def _located(problem: Problem, located: dict[str, Locations]) -> Problem:
    """``problem`` with the line, and the key and value as its file writes them."""
    where = located.get(problem.source, {})
    location = where.get((problem.section, problem.key)) if problem.section is not None else None
    if location is None and problem.key is not None:
        location = where.get((problem.section, None))  # a key the file does not write: its section
        if location is not None:
            location = attrs.evolve(location, written_value=None)
    if location is None:
        return problem
    return attrs.evolve(
        problem,
        line=problem.line or location.line,
        written=location.written,
        written_value=location.written_value,
    )


def _shown(value: Any) -> str:
    """A value in a problem: text quoted as the INI gave it, anything else (from Python or JSON) plain."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{key}:{amount}" for key, amount in value.items())
    return str(value)


def _read(path: str, problems: list[Problem], located: Locations) -> list[tuple[str, dict[str, Any]]]:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        problems.append(Problem(path, "no such file"))
        return []
    except IsADirectoryError:
        problems.append(Problem(path, "is a directory, not a configuration file"))
        return []
    except PermissionError:
        problems.append(Problem(path, "permission denied"))
        return []
    except UnicodeDecodeError as error:
        problems.append(Problem(path, f"not UTF-8 text (byte {error.start})"))
        return []
    if path.endswith(".json"):
        return _read_seed_json(path, text, problems, located)
    parser = ini_parser()
    try:
        parser.read_string(text, source=path)
    except configparser.Error as error:
        problems += _syntax_problems(path, text, error)
        return []
    located.update(ini_locations(text))
    return [(name, dict(parser.items(name))) for name in parser.sections()]


def _syntax_problems(path: str, text: str, error: configparser.Error) -> list[Problem]:
    """An INI file configparser refused, in words: each line at fault, and what is wrong with it."""
    lines = text.splitlines()

    def written(number: int) -> str:
        return lines[number - 1].strip() if 0 < number <= len(lines) else ""

    if isinstance(error, configparser.MissingSectionHeaderError):
        before = f"{written(error.lineno)!r} comes before any [section] header"
        reason = f"{before}: put it under one, e.g. [server]"
        return [Problem(path, reason, line=error.lineno)]
    if isinstance(error, configparser.DuplicateSectionError):
        reason = f"[{error.section}] appears a second time in this file: keep its keys under one header"
        return [Problem(path, reason, line=error.lineno)]
    if isinstance(error, configparser.DuplicateOptionError):
        reason = "set a second time in this section: keep one"
        return [Problem(path, reason, error.section, error.option, line=error.lineno)]
    if isinstance(error, configparser.ParsingError):
        reason = "{!r} is not a setting (key = value), a [section] header or a comment"
        return [Problem(path, reason.format(written(number)), line=number) for number, _ in error.errors]
    return [Problem(path, " ".join(str(error).split()))]


def _read_seed_json(
    path: str, text: str, problems: list[Problem], located: Locations
) -> list[tuple[str, dict[str, Any]]]:
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        place = f"{path}, line {error.lineno}, column {error.colno}"
        problems.append(Problem(place, f"not valid JSON: {error.msg}"))
        return []
    origins: dict = {}
    invalid: list = []
    try:
        sections = sections_from_seed_json(document, origins, invalid)
    except ValueError as error:
        problems.append(Problem(path, str(error)))
        return []
    for json_path, value, reason in invalid:
        written = ".".join(json_path)
        line = json_line(text, json_path)
        problems.append(Problem(path, reason, line=line, written=written, written_value=json_text(value)))
    located.update(json_locations(text, origins))
    return sections


def _apply(config: Config, source: str, section: str, items: dict[str, Any], problems: list[Problem]) -> None:
    prefix, _, name = section.partition(":")
    if prefix == FAILURE_PREFIX:  # keys depend on the mode: the failures package's validator checks them
        config.faults.setdefault(name, {}).update(items)
        return
    if prefix == CONDITION_PREFIX:  # keys depend on the kind: the market data's validator checks them
        config.conditions.setdefault(name, {}).update(items)
        return
    target = _section_target(config, source, section, problems)
    if target is None:
        return
    fields = {field.name: field for field in attrs.fields(type(target)) if field.name != "_sealed"}
    keys = list(fields)
    for key, value in items.items():
        if key not in keys:
            problems.append(Problem(source, "unknown key" + _suggest(key, keys), section, key))
            continue
        if fields[key].metadata[KIND] is PATH and isinstance(value, str) and value:
            value = os.path.join(os.path.dirname(os.path.abspath(source)), os.path.expanduser(value))
        try:
            setattr(target, key, value)
        except SettingError as error:
            problems.append(Problem(source, error.reason, section, key, value))


def _section_target(config: Config, source: str, section: str, problems: list[Problem]) -> Any:
    if section in SECTIONS:
        return getattr(config, SECTIONS[section])
    prefix, colon, name = section.partition(":")
    if colon and prefix in NAMED_SECTIONS:
        attribute, cls, name_kind = NAMED_SECTIONS[prefix]
        try:
            name = name_kind.convert(name)
        except ValueError as error:
            problems.append(Problem(source, f"bad section name: {error}", section))
            return None
        return getattr(config, attribute).setdefault(name, cls())
    prefixes = (*NAMED_SECTIONS, FAILURE_PREFIX, CONDITION_PREFIX)
    known = list(SECTIONS) + [f"{prefix}:NAME" for prefix in prefixes]
    problems.append(Problem(source, "unknown section" + _suggest(section, known), section))
    return None


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; known: {', '.join(sorted(choices))}"
