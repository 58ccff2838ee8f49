"""What a failure mode is: a name, the layers it acts on, a parameter schema, and effect factories.

Third parties implement ``IFailureMode`` (usually by subclassing ``FailureMode``) and register the
class in the entry point group ``exchangesim.failure_modes``; ``zope.interface.verify.verifyObject``
checks an instance.
"""

from __future__ import annotations

from zope.interface import Attribute, Interface

__all__ = ["DIRECTIONS", "LAYERS", "STAGES", "IFailureMode"]

LAYERS = ("rest", "ws", "tcp")
"""rest: each HTTP request of a dialect; ws: each WebSocket message; tcp: each connection's bytes."""
STAGES = ("pre_engine", "post_engine")
"""Where a rest fault acts: before the engine sees the request, or on the response after it acted."""
DIRECTIONS = ("in", "out", "both")
"""Which way a ws or tcp fault acts: messages from the client, to the client, or both."""


class IFailureMode(Interface):
    """One kind of fault; a configured fault is a mode plus targeting, schedule and parameters."""

    name = Attribute("The name a [failure:NAME] section gives in ``mode``.")
    description = Attribute("One line saying what the mode does, for listings.")
    layers = Attribute("The layers it acts on: a tuple drawn from LAYERS.")
    stages = Attribute("The rest stages it supports: a tuple drawn from STAGES (empty without rest).")
    parameters = Attribute("Its own parameters: a tuple of exchangesim.failures.Parameter.")

    def check(params):
        """(key, reason) problems of parameter values that are valid alone but not together."""

    def decider(params, probability, rng):
        """A no-argument callable saying whether the next eligible message or request is hit."""

    def request_effect(fault, scope):
        """A RequestEffect acting on the rest layer's requests for ``fault`` (rest modes only)."""

    def stream_effect(fault, scope, downstream):
        """A StreamEffect acting on one connection's messages (ws) or bytes (tcp) in one direction,
        passing what it lets through (now or later) to ``downstream``."""
