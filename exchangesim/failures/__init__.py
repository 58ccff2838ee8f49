"""Failure injection: modes found through entry points, configured faults, and the wrappers that apply
them to REST requests, WebSocket messages and TCP connections, with every injected fault audited.

The package knows no API dialect: each dialect hands the wrappers its ``FaultErrorShape``, the words in
which a fault's ``FaultError`` reaches a client on its routes."""

from .answers import PLAIN_ERRORS, FaultError, FaultErrorShape, FaultRefusedError
from .fault import Fault, Scope
from .interface import DIRECTIONS, LAYERS, STAGES, IFailureMode
from .mode import FailureMode
from .params import BOOLEAN, DURATION, INTEGER, NUMBER, TEXT, Parameter
from .requests import Answer, Delay, Lose, Repeat, RequestEffect, Response, RestCall, Rewrite
from .spec import FaultSpec, FaultSpecError, parse_fault
from .stream import HoldingEffect, StreamEffect

__all__ = [
    "BOOLEAN",
    "DIRECTIONS",
    "DURATION",
    "INTEGER",
    "LAYERS",
    "NUMBER",
    "PLAIN_ERRORS",
    "STAGES",
    "TEXT",
    "Answer",
    "Delay",
    "FailureMode",
    "Fault",
    "FaultError",
    "FaultErrorShape",
    "FaultRefusedError",
    "FaultSpec",
    "FaultSpecError",
    "HoldingEffect",
    "IFailureMode",
    "Lose",
    "Parameter",
    "Repeat",
    "RequestEffect",
    "Response",
    "RestCall",
    "Rewrite",
    "Scope",
    "StreamEffect",
    "parse_fault",
]
