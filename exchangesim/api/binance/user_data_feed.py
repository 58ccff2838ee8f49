"""Each engine command's Binance user data events, to the account streams of the hub.

One stream per account (``("userData", account)``) serves both ways Binance delivers an account's
events: a WS-API subscription and a listenKey on the market stream endpoint, each a subscriber framing
the events its own way. Only followed accounts' events are rendered, each encoded once per command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...engine import CommandResult, Exchange
from ..responses import encode
from ..streams import LabeledMessage, Stream, StreamHub, Subscriber
from .user_events import user_events

__all__ = ["UserDataFeed"]


def _labels(account: str) -> dict[str, str]:
    """The fields an account's user data messages carry, what faults target."""
    return {"channel": "userData", "account": account}


class UserDataFeed:
    """Who follows which account, and the events each engine command sends them."""

    def __init__(self, exchange: Exchange, hub: StreamHub, now_ms: Callable[[], int]) -> None:
        self._exchange = exchange
        self._hub = hub
        self._now_ms = now_ms
        self._followed: dict[str, Stream] = {}  # account -> its stream, while someone follows it
        exchange.subscribe(self._publish)

    def follow(self, subscriber: Subscriber, account: str) -> None:
        """Deliver ``account``'s user data events to ``subscriber`` from now on."""
        self._followed[account] = self._hub.subscribe(subscriber, ("userData", account), _labels(account))

    def unfollow(self, subscriber: Subscriber, account: str) -> None:
        key = ("userData", account)
        if self._hub.unsubscribe(subscriber, key) and self._hub.live(key) is None:
            del self._followed[account]

    @staticmethod
    def message(account: str, event: dict[str, Any]) -> LabeledMessage:
        """One event of ``account`` that no command made (the end of a stream), labeled as its others."""
        return LabeledMessage.of(encode(event), _labels(account))

    def _publish(self, result: CommandResult) -> None:
        """Engine subscriber: the command's events of each followed account, in order."""
        if not self._followed:
            return
        by_account = user_events(self._exchange, result, self._now_ms(), self._followed)
        for account, events in by_account.items():
            stream = self._followed.get(account)  # None: its last follower left meanwhile
            for event in events if stream is not None else ():
                stream.send(stream.labeled(encode(event)))
