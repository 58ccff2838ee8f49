"""API keys as journal records: an Authenticator that records every key it is given."""

from __future__ import annotations

from typing import Any

from ..api.auth import ApiKey, Authenticator
from .commands import Recorder

__all__ = ["JournaledAuthenticator"]


class JournaledAuthenticator(Authenticator):
    """Records ``register_key`` for every key registered while ``journal`` is set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.journal: Recorder | None = None

    def register(self, api_key: ApiKey) -> None:
        super().register(api_key)
        if self.journal is not None:
            self.journal.append(("register_key", api_key.account, api_key.key, api_key.secret))
