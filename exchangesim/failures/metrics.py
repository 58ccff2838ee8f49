"""Fault figures for ``/metrics``: injections by fault, action and stage, and what faults hold back."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .controller import FaultController

__all__ = ["FaultCollector"]


class FaultCollector(Collector):
    """Reads the audit's counters and the connections' held queues at scrape time."""

    def __init__(self, controller: FaultController) -> None:
        self._controller = controller

    def collect(self) -> Iterator[Metric]:
        controller = self._controller
        injected = CounterMetricFamily(
            "faults_injected",
            "Faults injected, by fault, action and stage",
            labels=["fault", "action", "stage"],
        )
        for (fault, action, stage), count in sorted(controller.audit.counts.items()):
            if stage != "admin":  # an operator's action (audit.control) is no injected fault
                injected.add_metric([fault, action, stage], count)
        yield injected
        held = GaugeMetricFamily(
            "faults_held_messages", "Messages or chunks a fault holds back", labels=["fault"]
        )
        for fault in controller.faults.values():
            held.add_metric([fault.name], controller.held_by(fault))
        yield held
        yield GaugeMetricFamily(
            "faults_active",
            "Faults installed (0 while halted)",
            0 if controller.halted else len(controller.faults),
        )
        yield GaugeMetricFamily(
            "faults_connections",
            "Connections the fault layers watch, ws and tcp",
            len(controller.connections),
        )
