"""The one stream hub of both dialects: subscribers, seq, and messages labeled when they are encoded."""

from exchangesim.api.streams import LabeledMessage, StreamHub, fields_of


class Recorder:
    def __init__(self):
        self.received = []

    def deliver(self, message):
        self.received.append(message)


def test_streams_of_both_dialects_live_in_one_hub_and_keep_their_seq():
    hub, native, binance = StreamHub(), Recorder(), Recorder()
    book = hub.subscribe(native, ("BOOK", "BTC/USD"), {"type": "MARKET_DATA", "channel": "BOOK"})
    depth = hub.subscribe(binance, "btcusd@depth@0ms", {"channel": "btcusd@depth@0ms", "symbol": "BTC/USD"})
    assert hub.subscribed(native, ("BOOK", "BTC/USD")) and not hub.subscribed(binance, ("BOOK", "BTC/USD"))
    assert (book.advance(), book.advance(), book.advance(41)) == (1, 2, 41)
    assert hub.unsubscribe(native, ("BOOK", "BTC/USD"))
    assert not hub.unsubscribe(native, ("BOOK", "BTC/USD"))
    assert hub.live(("BOOK", "BTC/USD")) is None and hub.live("btcusd@depth@0ms") is depth
    assert hub.subscribe(native, ("BOOK", "BTC/USD"), {}).seq == 41  # kept: a seq never restarts
    depth.send(depth.labeled(b'{"u":7}', 7))
    [message] = binance.received
    assert message == b'{"u":7}' and type(message) is LabeledMessage
    assert fields_of(message) == {"channel": "btcusd@depth@0ms", "symbol": "BTC/USD", "seq": 7}


def test_a_subscriber_leaving_while_a_message_goes_out_does_not_disturb_the_others():
    hub, second = StreamHub(), Recorder()

    class Leaving(Recorder):
        def deliver(self, message):
            super().deliver(message)
            hub.unsubscribe(self, "s")

    first = Leaving()
    stream = hub.subscribe(first, "s", {})
    hub.subscribe(second, "s", {})
    stream.send(stream.labeled(b"{}"))
    assert (len(first.received), len(second.received)) == (1, 1)
    assert not hub.subscribed(first, "s") and hub.subscribed(second, "s")


def test_a_subscriber_is_held_once_and_the_stream_lives_while_one_listens():
    hub, first, second = StreamHub(), Recorder(), Recorder()
    hub.subscribe(first, "s", {})
    hub.subscribe(first, "s", {})  # once, however often asked
    hub.subscribe(second, "s", {})
    assert not hub.unsubscribe(second, "elsewhere")
    assert hub.unsubscribe(first, "s") and hub.live("s") is not None
    assert not hub.unsubscribe(first, "s")
    assert hub.unsubscribe(second, "s") and hub.live("s") is None
