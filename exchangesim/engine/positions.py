"""Positions per account and symbol: net lots, average-cost basis, realized and unrealized PnL.

A position is the list ``[net_lots, cost_steps, realized_steps]`` (a Seat holds one). ``cost_steps``
is the signed cost basis in tick x lot steps: positive for a long, negative for a short, so the
average entry price is ``cost / net`` ticks. Positions count traded quantities gross of fees (fees are
reported per fill). A maker's fills apply one by one; a taker's fills of one command apply as one
trade of their total lots and steps (its average price). Reducing a position removes
``cost * closed / |net|`` (rounded down to a whole step) from the basis and books the difference as
realized PnL; a position closed completely always removes its whole basis, so the PnL of a round
trip is exact.
"""

from __future__ import annotations

from decimal import Decimal

from .instruments import Instrument
from .views import PositionView


def buy(position: list[int], qty: int, steps: int) -> None:
    """Apply a buy of ``qty`` lots costing ``steps`` (sum of price x lots)."""
    net = position[0]
    if net >= 0:
        position[0] = net + qty
        position[1] += steps
    else:
        _reduce(position, qty, steps, 1)


def sell(position: list[int], qty: int, steps: int) -> None:
    """Apply a sell of ``qty`` lots for ``steps`` (sum of price x lots)."""
    net = position[0]
    if net <= 0:
        position[0] = net - qty
        position[1] -= steps
    else:
        _reduce(position, qty, steps, -1)


def _reduce(position: list[int], qty: int, steps: int, direction: int) -> None:
    """Close (and possibly flip) a position with a fill against it; ``direction`` is +1 buy, -1 sell."""
    net, cost, realized = position
    size = abs(net)
    closed = min(qty, size)
    closed_steps = steps * closed // qty
    removed = cost * closed // size
    realized += -direction * closed_steps - removed
    net += direction * closed
    cost -= removed
    opened = qty - closed
    if opened:  # flipped through flat: the rest opens a new position at the fill's price
        net = direction * opened
        cost = direction * (steps - closed_steps)
    position[0], position[1], position[2] = net, cost, realized


def view(instrument: Instrument, position: list[int], last_price: int | None) -> PositionView:
    """The public view of a position, unrealized PnL marked to ``last_price`` (0 when there is none)."""
    net, cost, realized = position
    unrealized = 0 if last_price is None or not net else last_price * net - cost
    average = (Decimal(cost) / Decimal(net) * instrument.tick_size) if net else Decimal(0)
    per_step = instrument.quote_per_step
    return PositionView(
        symbol=instrument.symbol,
        quantity=net,
        average_price=average,
        realized_pnl=realized * per_step,
        unrealized_pnl=unrealized * per_step,
    )
