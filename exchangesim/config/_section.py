"""How a settings class is made: converted and validated on assignment, and sealed for the services."""

from __future__ import annotations

import copy
import types
from typing import Any

import attrs

__all__ = ("seal", "section")


def _refuse_when_sealed(instance: Any, attribute: attrs.Attribute, value: Any) -> Any:
    if instance._sealed:
        raise attrs.exceptions.FrozenInstanceError()
    return value


def section(cls: type) -> type:
    """Make a settings class: mutable, converted and validated on assignment, sealable."""
    cls.__annotations__ = {"_sealed": bool, **cls.__annotations__}
    cls._sealed = attrs.field(default=False, init=False, repr=False, eq=False, on_setattr=attrs.setters.NO_OP)
    return attrs.define(
        on_setattr=[_refuse_when_sealed, attrs.setters.convert, attrs.setters.validate],
    )(cls)


def seal(settings: Any) -> Any:
    """Freeze a deep copy of a settings object (sections, mappings and all) for the running services."""
    frozen = copy.deepcopy(settings)
    _seal_in_place(frozen)
    return frozen


def _seal_in_place(value: Any) -> Any:
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            if field.name != "_sealed":
                object.__setattr__(value, field.name, _seal_in_place(getattr(value, field.name)))
        object.__setattr__(value, "_sealed", True)
        return value
    if isinstance(value, dict):
        return types.MappingProxyType({key: _seal_in_place(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_seal_in_place(item) for item in value)
    return value
