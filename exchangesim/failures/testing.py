"""Contract checks for failure modes, for plugin authors and the built-in modes alike::

    from exchangesim.failures.testing import check_mode

    def test_my_mode_keeps_the_contract():
        check_mode(MyMode)

``check_mode`` raises ``ModeContractError`` (an ``AssertionError``) listing every problem it finds. It
checks that the mode declares itself as the registry and the INI parser expect, then, on a
``task.Clock``, on every layer the mode declares (each rest stage; each direction of ws and tcp):

- at probability 0 the fault hits nothing: every message passes unchanged and in order;
- at probability 1 the mode acts without raising, and two runs with the same seed give the same output
  and the same audit events;
- ws, tcp: removing the fault releases what its effect held, in order, and nothing arrives from it later;
- rest: its verdicts are the known ones the stage allows (Delay, Answer, Lose, and Repeat before the
  engine or Rewrite after it), with sane values.

A mode's own tests of its rest effect get a real request, parsed as the server parses it, from
``received_request("POST", "/api/v1/orders", {"X-API-Key": "k"}, body)`` (from ``LOOPBACK`` unless
told otherwise); ``raw_request`` gives the same request as the bytes a client writes, for a test that
connects to a server itself.
"""

from __future__ import annotations

from ._contract_declarations import declaration_problems, raised
from ._contract_runs import rest_problems, stream_problems
from ._received import LOOPBACK, raw_request, received_request
from .interface import IFailureMode

__all__ = ["LOOPBACK", "ModeContractError", "check_mode", "raw_request", "received_request"]


class ModeContractError(AssertionError):
    """A failure mode breaks the contract; ``problems`` lists what, each naming where."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.name = name
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"failure mode {name!r} breaks the contract ({len(problems)} problem(s)):\n{listed}")


def check_mode(mode: IFailureMode | type) -> None:
    """Check ``mode`` (a class, instantiated without arguments, or an instance) against the contract."""
    label = getattr(mode, "name", None) or getattr(mode, "__name__", None) or type(mode).__name__
    if isinstance(mode, type):
        try:
            mode = mode()
        except Exception as error:
            raise ModeContractError(label, [f"cannot be made without arguments: {raised(error)}"]) from None
    problems = declaration_problems(mode)
    if not problems:
        for layer in mode.layers:
            if layer == "rest":
                for stage in mode.stages:
                    problems += rest_problems(mode, stage)
            else:
                for direction in ("out", "in"):
                    problems += stream_problems(mode, layer, direction)
    if problems:
        raise ModeContractError(label, problems)
