"""``LocalBook``: a snapshot, then deltas in seq order; a gap is refused so the caller resynchronizes."""

from decimal import Decimal

from exchangesim.client.book import LocalBook


def delta(seq, side, price, quantity):
    return {"channel": "BOOK", "seq": seq, "side": side, "price": price, "quantity": quantity}


def test_deltas_follow_the_snapshot_and_a_gap_is_refused_until_a_resync():
    book = LocalBook()
    assert not book.apply(delta(5, "BUY", "99.00", "1"))  # no snapshot yet
    snapshot = {"seq": 5, "snapshot": True, "bids": [["100.00", "2"]], "asks": [["101.00", "1"]]}
    assert book.apply(snapshot)
    assert book.apply(delta(5, "BUY", "100.00", "9"))  # already in the snapshot: skipped
    assert book.apply(delta(6, "BUY", "100.50", "1")) and book.apply(delta(7, "SELL", "101.00", "0"))
    assert book.top(5) == {"bids": [(Decimal("100.50"), 1), (Decimal("100.00"), 2)], "asks": []}
    assert not book.apply(delta(9, "SELL", "102.00", "1"))  # 8 is missing
    book.load([["100.00", "2"]], [["102.00", "1"]], 9)
    assert book.sequence == 9 and book.best_ask() == Decimal("102.00") and not book.crossed()
    assert book.apply(delta(10, "BUY", "102.00", "1")) and book.crossed()
