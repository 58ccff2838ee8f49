"""Native streams as faults see them: every message labeled with its fields, only a client's read."""

from exchangesim.api.native.streams import labeled, message_fields
from exchangesim.api.streams import fields_of


def test_a_native_message_carries_its_fields_and_only_a_clients_is_read():
    fields = {"type": "ACCOUNT_DATA", "channel": "FILLS", "account": "bob", "seq": 3, "order_id": "9"}
    assert message_fields(labeled({**fields, "ts": 1, "fill": {}})) == fields
    reply = labeled({"type": "SUBSCRIBED", "channel": "BOOK", "symbol": "BTC/USD"})
    assert message_fields(reply) == {"type": "SUBSCRIBED", "symbol": "BTC/USD"}  # no stream's channel
    inbound = b'{"op":"subscribe","channel":"BOOK","symbol":"BTC/USD"}'
    assert message_fields(inbound) == {"symbol": "BTC/USD", "op": "subscribe"}
    assert fields_of(inbound) == {}  # the Binance endpoints read nothing of a client's message
