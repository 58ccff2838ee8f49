"""The Binance-spot dialect: REST under ``/api/v3``, what stock ccxt needs (see binance-dialect.md)."""

from .params import engine_symbol_of
from .rest import BinanceAPI
from .signed import account_of

__all__ = ["BinanceAPI", "account_of", "engine_symbol_of"]
