"""The base class of failure modes: the declarations every mode makes, and the defaults they share."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from zope.interface import implementer

from .interface import IFailureMode
from .params import Parameter

if TYPE_CHECKING:
    from .fault import Fault, Scope
    from .requests import RequestEffect
    from .stream import Sink, StreamEffect

__all__ = ["FailureMode"]


@implementer(IFailureMode)
class FailureMode:
    """Subclasses set the declarations and override the effect factory of each layer they act on."""

    name: str = ""
    description: str = ""
    layers: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    silences_connections = False
    """True for modes that leave a whole tcp connection mute (outage, stall): on the tcp layer they need
    a ``duration``, since the admin API shares the port."""

    def check(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        return []

    def decider(
        self, params: Mapping[str, Any], probability: float, rng: random.Random
    ) -> Callable[[], bool]:
        """Bernoulli: each eligible message is hit with ``probability``, independently."""
        if probability >= 1:
            return lambda: True
        draw = rng.random
        return lambda: draw() < probability

    def request_effect(self, fault: Fault, scope: Scope) -> RequestEffect:
        raise NotImplementedError(f"failure mode {self.name} does not act on the rest layer")

    def stream_effect(self, fault: Fault, scope: Scope, downstream: Sink) -> StreamEffect:
        raise NotImplementedError(f"failure mode {self.name} does not act on the ws or tcp layers")
