"""Gilbert-Elliott loss: a two-state Markov chain, so losses come in bursts as on a real bad link."""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["gilbert_elliott"]


def gilbert_elliott(
    rng: random.Random, enter_bad: float, leave_bad: float, loss_good: float, loss_bad: float
) -> Callable[[], bool]:
    """A decider: each call moves the chain one step (good -> bad with ``enter_bad``, bad -> good with
    ``leave_bad``) and then loses the message with the loss of the state it is in."""
    bad = False
    draw = rng.random

    def decide() -> bool:
        nonlocal bad
        bad = draw() >= leave_bad if bad else draw() < enter_bad
        return draw() < (loss_bad if bad else loss_good)

    return decide
