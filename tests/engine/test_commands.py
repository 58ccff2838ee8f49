"""Commands are immutable values, equal only to a command of their own kind."""

import pytest

from exchangesim.engine import Deposit, PlaceOrder, Withdraw


def test_a_command_equals_only_the_same_command():
    assert Deposit("a", "USD", 5, 1) == Deposit("a", "USD", 5, 1)
    assert Deposit("a", "USD", 5, 1) != Withdraw("a", "USD", 5, 1)
    assert Deposit("a", "USD", 5, 1) != ("a", "USD", 5, 1)
    assert len({Deposit("a", "USD", 5, 1), Deposit("a", "USD", 5, 1), Withdraw("a", "USD", 5, 1)}) == 2


def test_a_command_cannot_be_changed():
    order = PlaceOrder("a", "BTC/USD", "BUY", "LIMIT", 10, 200, 3)
    with pytest.raises(AttributeError):
        order.price = 201  # type: ignore[misc]
    assert order._replace(price=201).price == 201 and order.price == 200
