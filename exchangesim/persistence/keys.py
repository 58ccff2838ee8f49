"""API keys as journal records: an Authenticator that records every key it is given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..api.auth import ApiKey, Authenticator
from .commands import JournalFailedError, Recorder

__all__ = ["JournaledAuthenticator"]


class JournaledAuthenticator(Authenticator):
    """Records ``register_key`` for every key registered while ``journal`` is set.

    Like ``JournaledExchange``: once a record fails to be written, ``failure`` holds why, ``on_failure``
    hears of it, and every later registration raises ``JournalFailedError``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.journal: Recorder | None = None
        self.failure: Exception | None = None
        self.on_failure: Callable[[Exception], object] = lambda error: None

    def register(self, api_key: ApiKey) -> None:
        if self.journal is not None and self.failure is not None:
            raise JournalFailedError(f"the journal could not be written ({self.failure}): no key is added")
        super().register(api_key)
        if self.journal is None:
            return
        try:
            self.journal.append(("register_key", api_key.account, api_key.key, api_key.secret))
        except Exception as error:  # a full disk, an I/O error: the key is not on record
            self.failure = error
            self.on_failure(error)
            raise JournalFailedError(f"the journal could not be written ({error})") from error
