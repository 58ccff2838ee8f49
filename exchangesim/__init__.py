"""exchangesim: a crypto-exchange simulator for testing trading systems against moving markets and faults."""

__version__ = "0.1.0"
