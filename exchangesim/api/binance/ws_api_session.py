"""One WS-API connection's session: the API key it logged on with and its user data subscriptions.

As on Binance: ``session.logon`` authenticates the connection with one API key (another logon changes
it), after which SIGNED requests may leave out ``apiKey`` and ``signature``; ``session.status`` and
``session.logout`` describe it as ``{apiKey, authorizedSince, connectedSince, returnRateLimits,
serverTime, userDataStream}``. A connection holds one user data subscription per account, numbered from
0 up on that connection (a second one for an account is -2035); ``userDataStream.unsubscribe`` ends
one (``subscriptionId``) or all, ``session.logout`` those ``userDataStream.subscribe`` opened, and each
ended subscription gets ``eventStreamTerminated``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...credentials import ApiKey
from ..streams import LabeledMessage
from .errors import BinanceError
from .user_data_feed import UserDataFeed

__all__ = ["Session", "Subscription"]


class Subscription:
    """One user data subscription: a subscriber of the account's stream that frames each event as
    ``{"subscriptionId": N, "event": {...}}`` for its connection's ``send``."""

    __slots__ = ("_head", "_send", "account", "by_logon", "subscription_id")

    def __init__(
        self, subscription_id: int, account: str, by_logon: bool, send: Callable[[LabeledMessage], None]
    ) -> None:
        self.subscription_id = subscription_id
        self.account = account
        self.by_logon = by_logon  # opened by userDataStream.subscribe: session.logout ends it
        self._send = send
        self._head = b'{"subscriptionId":%d,"event":' % subscription_id

    def deliver(self, message: LabeledMessage) -> None:
        self._send(LabeledMessage.of(self._head + message + b"}", message.fields))


class Session:
    """The logon and the subscriptions of one connection; ``send`` sends a subscription's message."""

    def __init__(
        self,
        feed: UserDataFeed,
        send: Callable[[LabeledMessage], None],
        connected_ms: int,
        return_rate_limits: bool,
    ) -> None:
        self._feed = feed
        self._send = send
        self.connected_ms = connected_ms
        self.return_rate_limits = return_rate_limits  # the connection's default (``?returnRateLimits=``)
        self.api_key: ApiKey | None = None
        self.authorized_ms: int | None = None
        self.subscriptions: dict[int, Subscription] = {}
        self._next_id = 0

    @property
    def account(self) -> str | None:
        """The account the connection acts for, as faults target it: the newest subscription's, else
        the logged-on key's (None: neither)."""
        if self.subscriptions:
            return next(reversed(self.subscriptions.values())).account
        return None if self.api_key is None else self.api_key.account

    def logon(self, api_key: ApiKey, now_ms: int) -> None:
        self.api_key, self.authorized_ms = api_key, now_ms

    def logout(self, event_ms: int) -> None:
        """Forget the API key; end the subscriptions ``userDataStream.subscribe`` opened."""
        self.api_key = self.authorized_ms = None
        for subscription in [s for s in self.subscriptions.values() if s.by_logon]:
            self._end(subscription, event_ms)

    def subscribe(self, account: str, by_logon: bool) -> int:
        """A new subscription to ``account``'s events; its id."""
        if any(subscription.account == account for subscription in self.subscriptions.values()):
            raise BinanceError(400, -2035, "User Data Stream subscription already active.")
        subscription = Subscription(self._next_id, account, by_logon, self._send)
        self._next_id += 1
        self.subscriptions[subscription.subscription_id] = subscription
        self._feed.follow(subscription, account)
        return subscription.subscription_id

    def unsubscribe(self, subscription_id: int | None, event_ms: int) -> None:
        """End subscription ``subscription_id`` if there is one, or every subscription (None)."""
        if subscription_id is None:
            ending = list(self.subscriptions.values())
        else:
            ending = [self.subscriptions[subscription_id]] if subscription_id in self.subscriptions else []
        for subscription in ending:
            self._end(subscription, event_ms)

    def close(self) -> None:
        """The connection is gone: follow nothing more."""
        for subscription in self.subscriptions.values():
            self._feed.unfollow(subscription, subscription.account)
        self.subscriptions.clear()

    def status(self, server_ms: int) -> dict[str, Any]:
        """What ``session.logon``, ``session.status`` and ``session.logout`` answer."""
        return {
            "apiKey": None if self.api_key is None else self.api_key.key,
            "authorizedSince": self.authorized_ms,
            "connectedSince": self.connected_ms,
            "returnRateLimits": self.return_rate_limits,
            "serverTime": server_ms,
            "userDataStream": bool(self.subscriptions),
        }

    def _end(self, subscription: Subscription, event_ms: int) -> None:
        del self.subscriptions[subscription.subscription_id]
        self._feed.unfollow(subscription, subscription.account)
        ended = {"e": "eventStreamTerminated", "E": event_ms}
        subscription.deliver(self._feed.message(subscription.account, ended))
