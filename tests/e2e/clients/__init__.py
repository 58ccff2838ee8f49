"""Binance client libraries, each in its own venv under ``.venv-clients/``, driven against a live daemon."""
