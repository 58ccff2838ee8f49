"""API keys: which account each key acts for, and the secret that signs its requests.

The key store is plain data, below every dialect: the authenticator checks requests against it, the
admin API adds and removes keys, and persistence records and restores them.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

__all__ = ["ApiKey", "KeyStore"]


@attrs.frozen
class ApiKey:
    """An account's credentials; ``secret`` signs requests."""

    account: str
    key: str
    secret: str = attrs.field(repr=False)


class KeyStore:
    """Every registered API key; a key belongs to one account, an account may have several."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._recorder: Callable[[ApiKey], object] | None = None

    def set_recorder(self, recorder: Callable[[ApiKey], object] | None) -> None:
        """Have ``recorder`` hear of every key before it is accepted (the journal, which refuses a key
        it cannot record by raising); None: nobody."""
        self._recorder = recorder

    def register(self, api_key: ApiKey) -> None:
        """Accept ``api_key`` from now on; a key can belong to one account only."""
        existing = self._keys.get(api_key.key)
        if existing is not None and existing.account != api_key.account:
            raise ValueError(f"API key already belongs to account {existing.account}")
        if self._recorder is not None:
            self._recorder(api_key)
        self._keys[api_key.key] = api_key

    def forget(self, account: str) -> None:
        """Accept none of ``account``'s keys from now on (the account is closed)."""
        for key in [key for key, api_key in self._keys.items() if api_key.account == account]:
            del self._keys[key]

    def owner_of(self, key: str) -> str | None:
        """The account ``key`` belongs to, if any."""
        api_key = self._keys.get(key)
        return None if api_key is None else api_key.account

    def lookup(self, key: str) -> ApiKey | None:
        """The registered credentials of ``key``, if any."""
        return self._keys.get(key)

    def keys_of(self, account: str) -> list[ApiKey]:
        """The keys registered for ``account``."""
        return [key for key in self._keys.values() if key.account == account]
