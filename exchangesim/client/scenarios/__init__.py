"""The built-in scenarios, by name, in the order ``--scenarios`` runs them."""

from ._base import Scenario, ScenarioCheckError, ScenarioContext, check
from .resilience import backoff_retry, book_resync, duplicates, lost_ack, reconnect
from .seed import basic_trading, market_data, rapid_orders, rest_and_ws

__all__ = ["SCENARIOS", "Scenario", "ScenarioCheckError", "ScenarioContext", "check"]

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("basic-trading", "place, list, cancel a bid; a market buy fills", basic_trading),
        Scenario("market-data", "TICKER, TRADES and BOOK stream; the kept book stays uncrossed", market_data),
        Scenario("rapid-orders", "orders/s and latency p50/p95/p99 of many resting bids", rapid_orders),
        Scenario("rest-ws", "an order placed over REST shows on the BOOK stream and leaves it", rest_and_ws),
        Scenario("lost-ack", "lost acks reconciled by client order id", lost_ack, ("lost_ack",)),
        Scenario("book-resync", "a BOOK gap repaired from a REST snapshot", book_resync, ("gap",)),
        Scenario(
            "backoff-retry",
            "429 and 503 retried after Retry-After or a backoff",
            backoff_retry,
            ("throttled", "unavailable"),
        ),
        Scenario("reconnect", "reconnect and resubscribe after a disconnect", reconnect, ("disconnect",)),
        Scenario("duplicates", "a repeated stream message handed on once", duplicates, ("duplicate",)),
    )
}
