"""Configuration: INI files (or the seed's JSON) read into attrs classes that validate every change."""

from ._kinds import SettingError
from ._loader import ConfigError, Problem, check_config, load_config
from ._render import render_ini
from ._sections import (
    AccountsConfig,
    Config,
    ExchangeConfig,
    FailuresConfig,
    MarketDataConfig,
    ServerConfig,
    SymbolConfig,
    seal,
)

__all__ = [
    "AccountsConfig",
    "Config",
    "ConfigError",
    "ExchangeConfig",
    "FailuresConfig",
    "MarketDataConfig",
    "Problem",
    "ServerConfig",
    "SettingError",
    "SymbolConfig",
    "check_config",
    "load_config",
    "render_ini",
    "seal",
]
