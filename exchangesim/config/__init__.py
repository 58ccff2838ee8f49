"""Configuration: INI files (or the seed's JSON) read into attrs classes that validate every change."""

from ._kinds import BALANCES, SettingError
from ._liquidity import PRESETS, AgentSettings
from ._loader import ConfigError, Problem, check_config, fault_problems, ini_parser, load_config
from ._render import render_ini
from ._section import seal
from ._sections import (
    DEFAULT_ACCOUNT,
    FEE_ACCOUNT,
    LIMIT_ACCOUNT,
    MAKER_ACCOUNT,
    TAKER_ACCOUNT,
    AccountConfig,
    AccountsConfig,
    Config,
    ExchangeConfig,
    FailuresConfig,
    LiquidityConfig,
    MarketDataConfig,
    PersistenceConfig,
    ServerConfig,
    SymbolConfig,
)

parse_balances = BALANCES.convert
"""``{"USD": "100"}`` or ``"USD:100, BTC:1"`` as ``{asset: Decimal}``; raises ValueError with the reason."""

__all__ = [
    "DEFAULT_ACCOUNT",
    "FEE_ACCOUNT",
    "LIMIT_ACCOUNT",
    "MAKER_ACCOUNT",
    "PRESETS",
    "TAKER_ACCOUNT",
    "AccountConfig",
    "AccountsConfig",
    "AgentSettings",
    "Config",
    "ConfigError",
    "ExchangeConfig",
    "FailuresConfig",
    "LiquidityConfig",
    "MarketDataConfig",
    "PersistenceConfig",
    "Problem",
    "ServerConfig",
    "SettingError",
    "SymbolConfig",
    "check_config",
    "fault_problems",
    "ini_parser",
    "load_config",
    "parse_balances",
    "render_ini",
    "seal",
]
