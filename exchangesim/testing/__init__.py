"""The whole venue in memory for unit tests: ``venue = exchangesim.testing.venue(config=..., seed=...)``.

No socket, no real clock: the daemon's services on a ``MemoryReactorClock``; ``venue.advance(seconds)``
moves the market by simulated time; ``venue.call`` and ``venue.http`` (treq-style) speak REST,
``venue.websocket(path)`` the streams and ``venue.ccxt(account)`` is a stock ``ccxt.binance``, all
through the venue's own port factory, so faults act as they do over sockets. See "Unit tests in
memory" in the README.
"""

from ..admin_client import Account, AdminError
from ._http import MemoryAgent, MemoryResponse, NoAnswerError
from ._venue import MARKET_STEP_MS, PEER, START, MemoryAdmin, MemoryVenue, venue
from ._websocket import MemoryWebSocket

__all__ = [
    "MARKET_STEP_MS",
    "PEER",
    "START",
    "Account",
    "AdminError",
    "MemoryAdmin",
    "MemoryAgent",
    "MemoryResponse",
    "MemoryVenue",
    "MemoryWebSocket",
    "NoAnswerError",
    "venue",
]
