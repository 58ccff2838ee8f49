"""Write a configuration out as a documented INI file (``etc/sim.ini`` is this, over the defaults)."""

from __future__ import annotations

import textwrap
from typing import Any

import attrs

from ._kinds import DOC, KIND
from ._sections import (
    CONDITION_EXAMPLE,
    CONDITION_PREFIX,
    FAILURE_EXAMPLE,
    FAILURE_PREFIX,
    NAMED_SECTIONS,
    SECTIONS,
    Config,
)

__all__ = ()

HEADER = """\
# exchangesim configuration: every key, with its default value and what it does.
# Generated from the package's defaults by `make config` (python -m exchangesim.config);
# a test checks that the two agree. Pass your own file with --config; later files override earlier.
"""


def render_ini(config: Config | None = None) -> str:
    """The INI text of ``config`` (the defaults when None), one documented key per setting."""
    config = config or Config()
    names = {attribute: name for name, attribute in SECTIONS.items()}
    named = {attribute: (prefix, cls) for prefix, (attribute, cls, _) in NAMED_SECTIONS.items()}
    blocks = [HEADER]
    for field in attrs.fields(Config):
        value = getattr(config, field.name)
        if field.name in names:
            blocks.append(_render_section(names[field.name], value))
        elif field.name in named:
            prefix, cls = named[field.name]
            blocks += [_render_section(f"{prefix}:{name}", item) for name, item in value.items()]
            if not value:
                blocks.append(
                    _commented(_render_section(f"{prefix}:NAME", cls(), f"{cls.__doc__} For example:"))
                )
    for name, keys in config.faults.items():
        blocks.append(
            f"[{FAILURE_PREFIX}:{name}]\n" + "".join(f"{key} = {value}\n" for key, value in keys.items())
        )
    if not config.faults:
        blocks.append(FAILURE_EXAMPLE)
    for name, keys in config.conditions.items():
        blocks.append(
            f"[{CONDITION_PREFIX}:{name}]\n" + "".join(f"{key} = {value}\n" for key, value in keys.items())
        )
    if not config.conditions:
        blocks.append(CONDITION_EXAMPLE)
    return "\n".join(blocks)


def _commented(block: str) -> str:
    return "".join(line if line.startswith("#") else f"# {line}" for line in block.splitlines(keepends=True))


def _render_section(name: str, settings: Any, heading: str | None = None) -> str:
    lines = [f"# {heading}"] if heading else []
    lines.append(f"[{name}]")
    for field in attrs.fields(type(settings)):
        if KIND not in field.metadata:
            continue
        lines += textwrap.wrap(field.metadata[DOC], width=98, initial_indent="# ", subsequent_indent="# ")
        value = getattr(settings, field.name)
        text = "" if value is None else field.metadata[KIND].format(value)
        lines.append(f"{field.name} = {text}".rstrip())
    return "\n".join(lines) + "\n"
