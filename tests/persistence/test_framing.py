from exchangesim.persistence.framing import frame, is_torn_tail, read_frames


def test_whole_records_read_back_in_order():
    data = frame(b"one") + frame(b"two") + frame(b"three")
    assert read_frames(data) == ([b"one", b"two", b"three"], len(data))


def test_zeros_after_the_records_are_a_torn_tail():
    data = frame(b"one") + bytes(4096)  # a crash extended the file but never wrote it
    assert read_frames(data) == ([b"one"], len(frame(b"one")))
    assert is_torn_tail(data, len(frame(b"one")))


def test_a_record_cut_short_is_left_out():
    whole = frame(b"one") + frame(b"two")
    for cut in range(len(frame(b"one")), len(whole)):
        assert read_frames(whole[:cut]) == ([b"one"], len(frame(b"one")))


def test_a_damaged_record_ends_the_reading():
    data = bytearray(frame(b"one") + frame(b"two") + frame(b"three"))
    data[len(frame(b"one")) + 9] ^= 0x01  # a bit of "two" flips
    assert read_frames(bytes(data)) == ([b"one"], len(frame(b"one")))


def test_only_a_last_record_not_wholly_written_is_torn():
    one, two, three = frame(b"one"), frame(b"two"), frame(b"three")
    assert is_torn_tail(one + two[:5], len(one))  # cut inside the head
    assert is_torn_tail(one + two[:-1], len(one))  # cut inside the payload
    assert is_torn_tail(one + two[:-3] + bytes(3), len(one))  # its end never reached the disk
    assert not is_torn_tail(one + two[:-3] + bytes(3) + three, len(one))  # records were written after it


def test_a_damaged_length_with_whole_records_after_it_is_no_torn_tail():
    one, two, three = frame(b"one"), frame(b"two" * 20), frame(b"three")
    data = bytearray(one + two + three)
    data[len(one) + 3] ^= 0x40  # the length of "two" now runs far past the end of the file
    assert read_frames(bytes(data)) == ([b"one"], len(one))
    assert not is_torn_tail(bytes(data), len(one))
    assert is_torn_tail(bytes(data[: len(one) + len(two) - 1]), len(one))  # only "two", cut short
