"""Faults a client saw against the audit: matched by identity (client order id, route, stream seq), only
the scenario's account, and stream faults after the last message read left out as unobservable."""

from exchangesim.client.audit_check import KindCheck, compare
from exchangesim.client.observations import Observations

ACCOUNT = "cli-x"


def event(action, layer, **fields):
    return {"fault": "f", "action": action, "layer": layer, "account": ACCOUNT, "params": {}, **fields}


def lost_ack(client_order_id, account=ACCOUNT):
    route = "POST /api/v1/orders"
    return event("drop", "rest", stage="post_engine", route=route, client_order_id=client_order_id) | {
        "account": account
    }


def book_drop(seq):
    return event("drop", "ws", channel="BOOK", symbol="BTC/USD", seq=seq, connection="ws-1")


def test_lost_acks_match_by_client_order_id_and_other_accounts_do_not_count():
    observations = Observations()
    observations.note("lost_ack", "a")
    observations.note("lost_ack", "b")
    events = [lost_ack("a"), lost_ack("b"), lost_ack("c", account="someone-else")]
    assert compare(observations, events, ACCOUNT) == [KindCheck("lost_ack", 2, 2, True)]
    assert compare(observations, [lost_ack("a"), lost_ack("z")], ACCOUNT) == [
        KindCheck("lost_ack", 2, 2, False)
    ]


def test_refusals_match_by_route_and_status_kind():
    observations = Observations()
    observations.note("throttled", "GET /api/v1/ticker")
    observations.note("unavailable", "POST /api/v1/orders")
    events = [
        event("throttle", "rest", stage="pre_engine", route="GET /api/v1/ticker", params={"status": 429}),
        event("outage", "rest", stage="pre_engine", route="POST /api/v1/orders"),
        event("error", "rest", stage="pre_engine", route="GET /api/v1/ticker", params={"status": 500}),
    ]
    checks = compare(observations, events, ACCOUNT)
    assert checks == [KindCheck("throttled", 1, 1, True), KindCheck("unavailable", 1, 1, True)]


def test_stream_faults_after_the_last_message_read_are_unobservable():
    observations = Observations()
    observations.connected()
    for seq in (10, 12, 13):
        observations.received("BOOK", "BTC/USD", seq)
    observations.note("gap", ("BOOK", "BTC/USD", 11))
    checks = compare(observations, [book_drop(11), book_drop(14)], ACCOUNT)
    assert checks == [KindCheck("gap", 1, 1, True, unobservable=1)]
    assert compare(Observations(), [book_drop(11)], ACCOUNT) == [KindCheck("gap", 0, 0, True, 1)]


def test_a_missed_gap_and_an_unread_copy_of_the_last_message():
    observations = Observations()
    observations.connected()
    for seq in (1, 2, 3):
        observations.received("TICKER", "BTC/USD", seq)
    duplicate = event("duplicate", "ws", channel="TICKER", symbol="BTC/USD", seq=3, copies=1)
    assert compare(observations, [duplicate], ACCOUNT) == [KindCheck("duplicate", 0, 0, True, 1)]
    observations.note("duplicate", ("TICKER", "BTC/USD", 3))
    assert compare(observations, [duplicate], ACCOUNT) == [KindCheck("duplicate", 1, 1, True)]
    drop = event("drop", "ws", channel="TICKER", symbol="BTC/USD", seq=2)
    assert compare(observations, [drop], ACCOUNT)[0] == KindCheck("gap", 0, 1, False)


def test_faults_in_flight_at_a_reconnect_may_be_unread_though_the_next_connection_read_that_seq():
    observations = Observations()
    observations.connected()
    for seq in (5, 6, 7):
        observations.received("BOOK", "BTC/USD", seq)
    observations.connected()  # resubscribed: the snapshot starts at the seq the stream is at
    for seq in (8, 9, 10):
        observations.received("BOOK", "BTC/USD", seq)
    # 7 copied as the first connection ended; 8 sent on it (copied) but only read on the second one
    in_flight = [
        event("duplicate", "ws", channel="BOOK", symbol="BTC/USD", seq=seq, copies=1) for seq in (7, 8)
    ]
    assert compare(observations, in_flight, ACCOUNT) == [KindCheck("duplicate", 0, 0, True, 2)]
    observations.note("duplicate", ("BOOK", "BTC/USD", 8))  # had the copy come on the second one, seen
    assert compare(observations, in_flight, ACCOUNT) == [KindCheck("duplicate", 1, 1, True, 1)]
    read_past = event("duplicate", "ws", channel="BOOK", symbol="BTC/USD", seq=9, copies=1)
    assert compare(observations, [read_past], ACCOUNT)[0] == KindCheck("duplicate", 1, 1, False)


def test_disconnects_count_and_operators_changes_are_no_faults():
    observations = Observations()
    observations.note("disconnect")
    events = [
        event("disconnect_after", "ws", connection="ws-3"),
        {"fault": "admin", "action": "fault_added", "layer": "admin", "audit_seq": 4},
    ]
    assert compare(observations, events, ACCOUNT) == [KindCheck("disconnect", 1, 1, True)]
