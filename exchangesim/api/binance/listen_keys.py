"""Binance listenKeys: the user data stream one names on the market stream endpoint (``/ws/<listenKey>``,
``/stream?streams=<listenKey>``, or ``SUBSCRIBE``), made and kept by ``/api/v3/userDataStream`` and the
WS-API's ``userDataStream.start`` / ``.ping`` / ``.stop``.

As on Binance, an account has one live key: starting again returns it and extends it; a key lives 60
minutes from its start or last keepalive, on the wall clock (the reactor's time, not the market's). On
expiry each connection listening to it gets ``{"e": "listenKeyExpired", "E": <ms>, "listenKey": <key>}``
and the key is gone; a closed key ends silently ("This event will not be pushed when the stream is
closed normally."). Either way the connections stay open. Keys live in memory only: a restart forgets
them, as Binance's are ephemeral.

Binance retired the listenKey endpoints and methods on 2026-02-20 (user data now comes over the WS-API's
subscriptions); they are still served here for the older clients that use them.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from typing import Protocol

from twisted.internet.interfaces import IDelayedCall, IReactorTime

from ..streams import LabeledMessage
from .errors import BinanceError
from .user_data_feed import UserDataFeed

__all__ = ["LIFETIME_S", "ListenKeyListener", "ListenKeys"]

LIFETIME_S = 60 * 60
"""How long a key lives after its start or last keepalive, in wall-clock seconds."""
KEY_LENGTH = 64  # Binance's keys are 64 letters and digits
_KEY_ALPHABET = string.ascii_letters + string.digits


class ListenKeyListener(Protocol):
    """A connection's listening to one listenKey: a subscriber of the key's account stream."""

    def deliver(self, message: LabeledMessage) -> None:
        """One event of the key's account (``fields``: channel, account, what faults target)."""

    def listen_key_ended(self) -> None:
        """The key expired or was closed: the connection no longer listens to it."""


def _unknown_listen_key() -> BinanceError:
    return BinanceError(400, -1125, "This listenKey does not exist.")


class _LiveKey:
    """One live key: its account, its expiry timer and the connections listening to it."""

    __slots__ = ("account", "expiry", "key", "listeners")

    def __init__(self, key: str, account: str, expiry: IDelayedCall) -> None:
        self.key = key
        self.account = account
        self.expiry = expiry
        self.listeners: dict[ListenKeyListener, None] = {}


class ListenKeys:
    """The venue's live listenKeys, shared by the REST routes, the market stream endpoint and the WS-API;
    ``feed`` is the user data feed their listeners follow. ``clock`` is the wall clock keys live on,
    ``now_ms`` the market time events are stamped with."""

    def __init__(self, clock: IReactorTime, feed: UserDataFeed, now_ms: Callable[[], int]) -> None:
        self._clock = clock
        self._feed = feed
        self._now_ms = now_ms
        self._keys: dict[str, _LiveKey] = {}
        self._of_account: dict[str, _LiveKey] = {}

    def start(self, account: str) -> str:
        """The account's key: the live one, its life extended, else a new one."""
        live = self._of_account.get(account)
        if live is not None:
            live.expiry.reset(LIFETIME_S)
            return live.key
        key = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(KEY_LENGTH))
        live = _LiveKey(key, account, self._clock.callLater(LIFETIME_S, self._expire, key))
        self._keys[key] = self._of_account[account] = live
        return key

    def keepalive(self, account: str, key: str) -> None:
        """Extend ``account``'s ``key`` by another ``LIFETIME_S``; -1125 if it has no such key."""
        self._owned(account, key).expiry.reset(LIFETIME_S)

    def close(self, account: str, key: str) -> None:
        """End ``account``'s ``key`` now, silently; -1125 if it has no such key."""
        live = self._owned(account, key)
        live.expiry.cancel()
        self._end(live)

    def stop(self) -> None:
        """The service stops: every key's expiry timer is cancelled and the keys are forgotten."""
        for live in self._keys.values():
            if live.expiry.active():
                live.expiry.cancel()
        self._keys.clear()
        self._of_account.clear()

    def is_live(self, key: str) -> bool:
        return key in self._keys

    def listen(self, key: str, listener: ListenKeyListener) -> str | None:
        """Send ``key``'s events to ``listener`` from now on; the key's account, None if it is not live."""
        live = self._keys.get(key)
        if live is None:
            return None
        live.listeners[listener] = None
        self._feed.follow(listener, live.account)
        return live.account

    def unlisten(self, key: str, listener: ListenKeyListener) -> None:
        live = self._keys.get(key)
        if live is not None and live.listeners.pop(listener, False) is None:
            self._feed.unfollow(listener, live.account)

    def _owned(self, account: str, key: str) -> _LiveKey:
        live = self._keys.get(key)
        if live is None or live.account != account:  # another account's key does not exist for this one
            raise _unknown_listen_key()
        return live

    def _expire(self, key: str) -> None:
        live = self._keys[key]
        event = {"e": "listenKeyExpired", "E": self._now_ms(), "listenKey": key}
        message = self._feed.message(live.account, event)
        for listener in tuple(live.listeners):
            listener.deliver(message)
        self._end(live)

    def _end(self, live: _LiveKey) -> None:
        del self._keys[live.key], self._of_account[live.account]
        listeners, live.listeners = tuple(live.listeners), {}
        for listener in listeners:
            self._feed.unfollow(listener, live.account)
            listener.listen_key_ended()
