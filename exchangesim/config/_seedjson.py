"""Map the seed's ``config.json`` onto INI sections and keys, key by key (the README holds the table)."""

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


def sections_from_seed_json(document: Any) -> list[tuple[str, dict[str, Any]]]:
    """(section, {key: value}) pairs from the seed's JSON; values keep their JSON types."""
    if not isinstance(document, dict):
        raise ValueError("the top level must be a JSON object of sections")
    sections: dict[str, dict[str, Any]] = {}
    for name, body in document.items():
        if not isinstance(body, dict):
            raise ValueError(f"{name!r} must be a JSON object of keys")
        for key, value in body.items():
            for section, target_key, target_value in _map(name, key, value, body):
                sections.setdefault(section, {})[target_key] = target_value
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


def _map(section: str, key: str, value: Any, body: dict[str, Any]) -> list[tuple[str, str, Any]]:
    if section == "failures" and key == "modes":
        return _seed_faults(value)
    if section == "server" and key in ("host", "port"):
        if key == "port" or "port" not in body:
            return [("server", "endpoint", _endpoint(body.get("host", "127.0.0.1"), body.get("port", 8765)))]
        return []
    if section == "exchange" and key == "initial_prices" and isinstance(value, dict):
        return [(f"symbol:{symbol}", "initial_price", price) for symbol, price in value.items()]
    if section == "exchange" and key == "tick_interval":
        return [("exchange", "tick_interval_ms", _milliseconds(value))]
    return [(*_RENAMED.get((section, key), (section, key)), value)]


def _seed_faults(modes: Any) -> list[tuple[str, str, Any]]:
    """``failures.modes.<name>`` as ``[failure:<name>]``; ``enabled: false`` leaves a mode out."""
    if not isinstance(modes, dict):
        raise ValueError("failures.modes must be a JSON object of failure modes")
    keys = []
    for name, settings in modes.items():
        if not isinstance(settings, dict):
            raise ValueError(f"failures.modes.{name} must be a JSON object of keys")
        if settings.get("enabled", True) is False:
            continue
        section = f"failure:{name}"
        keys += [(section, "mode", _SEED_FAULTS.get(name, name)), (section, "layer", "ws")]
        for key, value in settings.items():
            if key == "enabled":
                continue
            if name == "delay_messages" and key in ("min_ms", "max_ms"):
                continue
            keys.append((section, key, value))
        if name == "delay_messages":
            low, high = settings.get("min_ms", 0), settings.get("max_ms", settings.get("min_ms", 0))
            keys += [(section, "base_ms", low), (section, "distribution", "uniform")]
            keys.append((section, "jitter_ms", high - low if _numbers(low, high) else high))
    return keys


def _numbers(*values: Any) -> bool:
    return all(isinstance(value, (int, Decimal)) and not isinstance(value, bool) for value in values)


def _endpoint(host: Any, port: Any) -> str:
    return f"tcp:{port}:interface={str(host).replace(':', chr(92) + ':')}"


def _milliseconds(seconds: Any) -> Any:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, Decimal)):
        return seconds
    milliseconds = Decimal(seconds) * 1000
    return int(milliseconds) if milliseconds == milliseconds.to_integral_value() else milliseconds
