"""The one clock mechanism of both dialects' streams: windows that open with a change, periodic sends."""

from twisted.internet.task import Clock

from exchangesim.api.conflation import Conflator


def conflator():
    clock = Clock()
    sent = []
    return clock, Conflator(clock), sent


def test_a_window_opens_with_its_first_change_and_sends_everything_gathered_once():
    clock, windows, sent = conflator()
    clock.advance(0.03)  # the window does not follow a grid: it starts with the change
    windows.gather("book", 100, [1], lambda key, changes: sent.append((clock.seconds(), key, changes)))
    clock.advance(0.05)
    windows.gather("book", 100, [2, 3], lambda key, changes: sent.append((clock.seconds(), key, changes)))
    clock.advance(0.0499)
    assert sent == []
    clock.advance(0.0001)
    assert [(round(at, 4), key, changes) for at, key, changes in sent] == [(0.13, "book", [1, 2, 3])]
    clock.advance(1)
    assert len(sent) == 1 and not clock.getDelayedCalls()  # a quiet period sends nothing


def test_a_period_of_zero_sends_each_change_at_once():
    clock, windows, sent = conflator()
    windows.gather("diff", 0, (7,), lambda key, changes: sent.append(changes))
    assert sent == [[7]] and not clock.getDelayedCalls()


def test_a_periodic_stream_is_sent_every_period_until_forgotten():
    clock, windows, sent = conflator()
    windows.every("avg", 1000, sent.append)
    windows.every("avg", 1000, sent.append)  # once per stream
    clock.pump([1.0] * 3)
    assert sent == ["avg"] * 3
    windows.forget("avg")
    clock.advance(5)
    assert sent == ["avg"] * 3 and not clock.getDelayedCalls()


def test_watchers_of_a_source_and_forgetting_one_drops_its_window():
    clock, windows, sent = conflator()
    windows.watch(("BOOK", "BTC/USD"), "fast", 10)
    windows.watch(("BOOK", "BTC/USD"), "slow", 1000)
    assert windows.watching(("BOOK", "BTC/USD")) == {"fast": 10, "slow": 1000}
    for key, period_ms in windows.watching(("BOOK", "BTC/USD")).items():
        windows.gather(key, period_ms, ["change"], lambda key, changes: sent.append(key))
    windows.forget("slow")
    clock.advance(2)
    assert sent == ["fast"]
    assert windows.watching(("BOOK", "BTC/USD")) == {"fast": 10}
    windows.stop()
    assert windows.watching(("BOOK", "BTC/USD")) == {} and not clock.getDelayedCalls()
