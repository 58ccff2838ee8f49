// Counters for the health panel: events per second over a sliding window, and stream sequence checks.

const BUCKET_MS = 250;

/** Events per second over the last `windowMs`, counted in 250 ms buckets. */
export class RateWindow {
  constructor(windowMs = 5000) {
    this.size = Math.ceil(windowMs / BUCKET_MS);
    this.buckets = new Array(this.size).fill(0);
    this.stamps = new Array(this.size).fill(-1);
    this.total = 0;
  }

  add(count = 1, now = performance.now()) {
    const slot = Math.floor(now / BUCKET_MS);
    const index = slot % this.size;
    if (this.stamps[index] !== slot) {
      this.stamps[index] = slot;
      this.buckets[index] = 0;
    }
    this.buckets[index] += count;
    this.total += count;
  }

  /** Events in the window (the current, partial bucket included). */
  sum(now = performance.now()) {
    const slot = Math.floor(now / BUCKET_MS);
    let sum = 0;
    for (let i = 0; i < this.size; i++) if (slot - this.stamps[i] < this.size) sum += this.buckets[i];
    return sum;
  }

  perSecond(now = performance.now()) {
    return (this.sum(now) * 1000) / (this.size * BUCKET_MS);
  }
}

/** What one channel's messages looked like: their rate and the sequence anomalies seen. */
export class ChannelCounters {
  constructor() {
    this.messages = new RateWindow();
    this.gaps = 0; // jumps forward in seq
    this.missing = 0; // seqs skipped by those jumps
    this.duplicates = 0;
    this.outOfOrder = 0; // an older seq not seen before: it arrived late
  }

  snapshot() {
    return {
      messages: this.messages.total,
      perSecond: this.messages.perSecond(),
      gaps: this.gaps,
      missing: this.missing,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
    };
  }
}

const REMEMBERED = 512; // seqs kept to tell a repeat from a late arrival

/** Follows one stream's `seq` (contiguous by contract) and files each message under its channel's counters. */
export class SequenceTracker {
  constructor(counters) {
    this.counters = counters;
    this.last = null;
    this.seen = new Set();
    this.order = [];
  }

  /** A snapshot or a new subscription: `seq` is where the stream is now, not a message to judge. */
  reset(seq) {
    this.last = seq;
    this.seen.clear();
    this.order.length = 0;
    this.remember(seq);
  }

  /** Judge one message: "next", "first", "gap", "duplicate" or "late". */
  observe(seq) {
    if (this.last === null) {
      this.reset(seq);
      return "first";
    }
    if (seq === this.last + 1) {
      this.last = seq;
      this.remember(seq);
      return "next";
    }
    if (seq > this.last + 1) {
      this.counters.gaps += 1;
      this.counters.missing += seq - this.last - 1;
      this.last = seq;
      this.remember(seq);
      return "gap";
    }
    if (this.seen.has(seq)) {
      this.counters.duplicates += 1;
      return "duplicate";
    }
    this.counters.outOfOrder += 1;
    this.remember(seq);
    return "late";
  }

  remember(seq) {
    this.seen.add(seq);
    this.order.push(seq);
    if (this.order.length > REMEMBERED) this.seen.delete(this.order.shift());
  }
}
