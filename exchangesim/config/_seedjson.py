"""Map the seed's ``config.json`` onto INI sections and keys, key by key (the README holds the table).

Each INI key keeps the JSON path it came from, so a problem is reported in the words of the file the
user wrote (``server.port = "x"``), not in those of the INI it became.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = ()

_RENAMED = {
    ("pricing_model", "model_type"): ("market_data", "model"),
    ("pricing_model", "drift"): ("market_data", "drift"),
    ("pricing_model", "volatility"): ("market_data", "volatility"),
    ("exchange", "default_balance"): ("accounts", "default_balance"),
}

Origins = dict[tuple[str, str | None], tuple[tuple[str, ...], Any]]
"""(section, key) of the INI -> (JSON path, JSON value) it came from; key None: the section's object."""


Invalid = list[tuple[tuple[str, ...], Any, str]]
"""(JSON path, JSON value, reason) of values only JSON can get wrong."""


def sections_from_seed_json(
    document: Any, origins: Origins | None = None, problems: Invalid | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(section, {key: value}) pairs from the seed's JSON; values keep their JSON types.

    ``origins`` (if given) is filled with the JSON path and value of every INI key, ``problems`` with
    (JSON path, value, reason) for values only JSON can get wrong (a port that is not a number);
    a document of the wrong shape raises ValueError.
    """
    if not isinstance(document, dict):
        raise ValueError("the top level must be a JSON object of sections")
    origins = {} if origins is None else origins
    problems = [] if problems is None else problems
    sections: dict[str, dict[str, Any]] = {}
    for name, body in document.items():
        if not isinstance(body, dict):
            raise ValueError(f"{name!r} must be a JSON object of keys")
        for key, value in body.items():
            for section, target_key, target_value, path in _map(name, key, value, body, problems):
                sections.setdefault(section, {})[target_key] = target_value
                origins.setdefault((section, None), (path[:-1], None))
                origins[section, target_key] = (path, _value_at(document, path))
    return list(sections.items())


_SEED_FAULTS = {
    "drop_messages": "drop",
    "delay_messages": "delay",
    "duplicate_messages": "duplicate",
    "reorder_messages": "reorder",
    "corrupt_messages": "corrupt",
    "throttle": "throttle",
}
"""The seed's ``failures.modes`` names and the mode each becomes, on the ws layer."""

_Mapped = list[tuple[str, str, Any, tuple[str, ...]]]


def _map(section: str, key: str, value: Any, body: dict[str, Any], problems: Invalid) -> _Mapped:
    path = (section, key)
    if section == "failures" and key == "modes":
        return _seed_faults(value)
    if section == "server" and key in ("host", "port"):
        if key == "port" or "port" not in body:
            host, port = body.get("host", "127.0.0.1"), body.get("port", 8765)
            if not _port(port):
                problems.append((("server", "port"), port, "must be a whole number from 0 to 65535"))
                return []
            if not isinstance(host, str) or not host:
                problems.append((("server", "host"), host, "must be a host name or address, as a string"))
                return []
            origin = ("server", "port" if "port" in body else "host")
            return [("server", "endpoint", _endpoint(host, port), origin)]
        return []
    if section == "exchange" and key == "initial_prices" and isinstance(value, dict):
        return [
            (f"symbol:{symbol}", "initial_price", price, (*path, symbol)) for symbol, price in value.items()
        ]
    if section == "exchange" and key == "tick_interval":
        return [("exchange", "tick_interval_ms", _milliseconds(value), path)]
    return [(*_RENAMED.get(path, path), value, path)]


def _seed_faults(modes: Any) -> _Mapped:
    """``failures.modes.<name>`` as ``[failure:<name>]``; ``enabled: false`` leaves a mode out."""
    if not isinstance(modes, dict):
        raise ValueError("failures.modes must be a JSON object of failure modes")
    keys: _Mapped = []
    for name, settings in modes.items():
        if not isinstance(settings, dict):
            raise ValueError(f"failures.modes.{name} must be a JSON object of keys")
        if settings.get("enabled", True) is False:
            continue
        section, path = f"failure:{name}", ("failures", "modes", name)
        keys += [(section, "mode", _SEED_FAULTS.get(name, name), path), (section, "layer", "ws", path)]
        for key, value in settings.items():
            if key == "enabled":
                continue
            if name == "delay_messages" and key in ("min_ms", "max_ms"):
                continue
            keys.append((section, key, value, (*path, key)))
        if name == "delay_messages":
            low, high = settings.get("min_ms", 0), settings.get("max_ms", settings.get("min_ms", 0))
            low_path = (*path, "min_ms") if "min_ms" in settings else path
            high_path = (*path, "max_ms") if "max_ms" in settings else low_path
            keys += [(section, "base_ms", low, low_path), (section, "distribution", "uniform", path)]
            keys.append((section, "jitter_ms", high - low if _numbers(low, high) else high, high_path))
    return keys


def _value_at(document: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(document, dict) or name not in document:
            return None
        document = document[name]
    return document


def _numbers(*values: Any) -> bool:
    return all(isinstance(value, (int, Decimal)) and not isinstance(value, bool) for value in values)


def _port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535


def _endpoint(host: Any, port: Any) -> str:
    return f"tcp:{port}:interface={str(host).replace(':', chr(92) + ':')}"


def _milliseconds(seconds: Any) -> Any:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, Decimal)):
        return seconds
    milliseconds = Decimal(seconds) * 1000
    return int(milliseconds) if milliseconds == milliseconds.to_integral_value() else milliseconds
