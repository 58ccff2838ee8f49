"""The per-connection send path: flushed once per turn, bounded, and one broken client harms no other."""

import json

from twisted.internet.task import Clock

from exchangesim.api.outbox import BATCH_BYTES, BATCH_LIMIT, FLUSH_CHUNK, FlushScheduler, Outbox


def make(scheduler, limit=10, send=None):
    sent, closed = [], []
    outbox = Outbox(scheduler, send or sent.append, lambda code, reason: closed.append((code, reason)), limit)
    return outbox, sent, closed


def test_messages_go_out_at_the_next_turn_one_frame_each_or_one_batch():
    clock = Clock()
    scheduler = FlushScheduler(clock)
    plain, plain_sent, _ = make(scheduler)
    batched, batched_sent, _ = make(scheduler)
    batched.batch = True
    for outbox in (plain, batched):
        outbox.push(b'{"a":1}')
        outbox.push(b'{"b":2}')
    assert plain_sent == batched_sent == []
    clock.advance(0)
    assert plain_sent == [b'{"a":1}', b'{"b":2}']
    assert batched_sent == [b'{"type":"BATCH","messages":[{"a":1},{"b":2}]}']


def test_a_client_that_falls_behind_is_closed_and_its_queue_dropped():
    clock = Clock()
    outbox, sent, closed = make(FlushScheduler(clock), limit=2)
    for n in range(3):
        outbox.push(b"%d" % n)
    clock.advance(0)
    assert sent == [] and closed == [(1013, "too slow: more than 2 messages queued")]


def test_a_paused_transport_holds_the_queue_until_it_resumes():
    clock = Clock()
    outbox, sent, _ = make(FlushScheduler(clock))
    outbox.pauseProducing()
    outbox.push(b"1")
    clock.advance(0)
    assert sent == []
    outbox.resumeProducing()
    clock.advance(0)
    assert sent == [b"1"]


def test_a_client_whose_send_fails_is_closed_and_does_not_hold_up_the_others():
    clock = Clock()
    scheduler = FlushScheduler(clock)

    def broken(frame):
        raise ConnectionError("the connection is closing")

    first, _, closed = make(scheduler, send=broken)
    second, sent, _ = make(scheduler)
    first.push(b"1")
    second.push(b"2")
    clock.advance(0)
    assert sent == [b"2"]
    assert closed == [(1011, "the server failed writing to this connection")]  # not left open and silent
    first.push(b"3")  # the broken one takes nothing more
    assert not clock.getDelayedCalls()


def test_many_outboxes_are_flushed_a_chunk_a_turn_so_ticks_can_run_between():
    clock = Clock()
    scheduler = FlushScheduler(clock)
    boxes = [make(scheduler) for _ in range(FLUSH_CHUNK * 2 + 5)]
    for outbox, _, _ in boxes:
        outbox.push(b"1")
        outbox.push(b"2")  # a second message does not mark the outbox again
    flushed = []
    for _ in range(3):  # one reactor turn each (Clock.advance would run the follow-up turns at once)
        (turn,) = clock.getDelayedCalls()
        run = turn.func
        turn.cancel()
        run()
        flushed.append(sum(1 for _, sent, _ in boxes if sent == [b"1", b"2"]))
    assert flushed == [FLUSH_CHUNK, FLUSH_CHUNK * 2, FLUSH_CHUNK * 2 + 5]
    assert not clock.getDelayedCalls()


def test_a_long_queue_goes_out_in_batches_of_bounded_size():
    clock = Clock()
    outbox, sent, _ = make(FlushScheduler(clock), limit=BATCH_LIMIT * 3)
    outbox.batch = True
    for n in range(BATCH_LIMIT * 2 + 1):
        outbox.push(b"%d" % n)
    clock.advance(0)
    assert [len(json.loads(frame)["messages"]) for frame in sent] == [BATCH_LIMIT, BATCH_LIMIT, 1]
    assert sent[-1] == b'{"type":"BATCH","messages":[%d]}' % (BATCH_LIMIT * 2)


def test_a_batch_of_large_messages_is_split_below_clients_frame_limits():
    clock = Clock()
    outbox, sent, _ = make(FlushScheduler(clock), limit=100)
    outbox.batch = True
    level = b'{"levels":"%s"}' % (b"x" * 3000)  # a deep book's messages, 3 KB each
    for _ in range(60):
        outbox.push(level)
    clock.advance(0)
    assert len(sent) > 2
    assert all(len(frame) <= BATCH_BYTES + 64 for frame in sent)
    assert sum(len(json.loads(frame)["messages"]) for frame in sent) == 60


def test_an_answer_goes_out_at_once_behind_what_waits_and_a_paused_one_waits_its_turn():
    clock = Clock()
    outbox, sent, _ = make(FlushScheduler(clock))
    outbox.push_and_write(b"answer-1")
    assert sent == [b"answer-1"] and not clock.getDelayedCalls()
    outbox.push(b"event")
    outbox.push_and_write(b"answer-2")
    assert sent == [b"answer-1", b"event", b"answer-2"]
    outbox.pauseProducing()
    outbox.push_and_write(b"answer-3")
    clock.advance(0)
    assert sent[-1] == b"answer-2"
    outbox.resumeProducing()
    clock.advance(0)
    assert sent[-1] == b"answer-3"
    outbox.discard()
    outbox.push_and_write(b"answer-4")
    assert sent[-1] == b"answer-3"
