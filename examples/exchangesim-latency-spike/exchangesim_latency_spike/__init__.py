"""An exchangesim failure mode shipped as a plugin: ``latency_spike``, occasional latency spikes."""

from .spike import LatencySpike

__all__ = ["LatencySpike"]
