"""The twistd dropin: names the tap module lazily, so ``twistd --help`` imports nothing heavy."""

from twisted.application.service import ServiceMaker

exchangesim = ServiceMaker(
    "exchangesim",
    "exchangesim.tap",
    "Crypto-exchange simulator: matching engine, moving markets, REST/WebSocket APIs and fault injection.",
    "exchangesim",
)
