"""API keys as journal records: what records each key before the key store accepts it."""

from __future__ import annotations

from collections.abc import Callable

from ..credentials import ApiKey
from .commands import JournalWriter, RegisterKey

__all__ = ["key_recorder"]


def key_recorder(writer: JournalWriter) -> Callable[[ApiKey], None]:
    """A key store's recorder (``KeyStore.set_recorder``) writing ``register_key`` records with
    ``writer``, the one the engine's executor shares: once a record fails, every key is refused too."""

    def record(api_key: ApiKey) -> None:
        writer.check()
        writer.write(RegisterKey(api_key.account, api_key.key, api_key.secret))

    return record
