"""Configuration: INI files (or the seed's JSON) read into attrs classes that validate every change.

The sections other packages read (``[failure:NAME]``, ``[condition:NAME]``, price models) are checked by
those packages' ``SectionValidator``s: ``exchangesim.config_checks`` loads and checks with all of them.
"""

from ._kinds import BALANCES, SettingError
from ._liquidity import PRESETS, AgentSettings
from ._loader import (
    ConfigError,
    Problem,
    SectionValidator,
    SourceOf,
    config_problems,
    ini_parser,
    read_config,
)
from ._render import render_ini
from ._section import seal
from ._sections import (
    CONDITION_PREFIX,
    DEFAULT_ACCOUNT,
    FAILURE_PREFIX,
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
    "CONDITION_PREFIX",
    "DEFAULT_ACCOUNT",
    "FAILURE_PREFIX",
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
    "SectionValidator",
    "ServerConfig",
    "SettingError",
    "SourceOf",
    "SymbolConfig",
    "config_problems",
    "ini_parser",
    "parse_balances",
    "read_config",
    "render_ini",
    "seal",
]
