// One symbol's order book from the BOOK stream: a snapshot, then one delta per changed level with
// contiguous seq. After a gap (or deltas with no snapshot) it resynchronizes from GET /orderbook,
// buffering the deltas that arrive meanwhile and applying those past the snapshot's sequence.
// The sides, sorted, are kept until the book next changes: the ladder and the depth chart read them
// in the same frame, so each side is sorted at most once a frame however many deltas came.

const RESYNC_DEPTH = 1000; // the most levels GET /orderbook gives
const RETRY_MS = 200;
const MAX_BUFFERED = 5000;

export class OrderBook {
  constructor(rest, symbol, onChange) {
    this.rest = rest;
    this.symbol = symbol;
    this.onChange = onChange;
    this.bids = new Map(); // price text -> quantity text
    this.asks = new Map();
    this.seq = null;
    this.state = "empty"; // "empty", "live", "resyncing", "waiting" (to ask again) or "closed"
    this.buffer = [];
    this.resyncs = 0;
    this.generation = 0; // bumped by every snapshot: an older resync's answer is ignored
    this.retry = null;
    this.version = 0; // bumped by every change, so the sorted sides are sorted once per change
    this.sortedSides = {bids: null, asks: null, version: -1};
  }

  /** The BOOK snapshot sent on subscribing: the whole book at `seq`. */
  snapshot(message) {
    this.load(message.bids, message.asks, message.seq);
    this.generation += 1;
    this.buffer = [];
    clearTimeout(this.retry);
    this.state = "live";
    this.onChange();
  }

  /** One level change; anything but the next seq is either old news (ignored) or a gap (resync). */
  delta(message) {
    if (this.state !== "live") {
      if (this.buffer.length >= MAX_BUFFERED) this.buffer.shift(); // the gap that makes will be seen
      this.buffer.push(message);
      if (this.state === "empty") this.resync();
      return;
    }
    if (message.seq <= this.seq) return; // a duplicate or a late one: already in the book
    if (message.seq !== this.seq + 1) {
      this.buffer.push(message);
      this.resync();
      return;
    }
    this.apply(message);
    this.onChange();
  }

  apply(message) {
    const side = message.side === "BUY" ? this.bids : this.asks;
    if (Number(message.quantity) === 0) side.delete(message.price);
    else side.set(message.price, message.quantity);
    this.seq = message.seq;
    this.version += 1;
  }

  load(bids, asks, seq) {
    this.bids = new Map(bids);
    this.asks = new Map(asks);
    this.seq = seq;
    this.version += 1;
  }

  async resync() {
    if (this.state === "resyncing") return;
    this.state = "resyncing";
    this.resyncs += 1;
    this.onChange();
    const generation = this.generation;
    let book;
    try {
      book = await this.rest.call("GET", "/orderbook", {query: {symbol: this.symbol, depth: RESYNC_DEPTH}});
    } catch {
      book = null;
    }
    if (generation !== this.generation || this.state !== "resyncing") return; // a snapshot came first
    if (book === null) {
      this.retryLater();
      return;
    }
    this.load(book.bids, book.asks, book.sequence);
    const pending = this.buffer.filter((message) => message.seq > this.seq).sort((a, b) => a.seq - b.seq);
    this.buffer = [];
    for (const message of pending) {
      if (message.seq === this.seq) continue; // a duplicate in the buffer
      if (message.seq !== this.seq + 1) {
        this.buffer = pending.filter((later) => later.seq >= message.seq);
        this.retryLater(); // the snapshot is older than a gap in the buffer: ask again
        return;
      }
      this.apply(message);
    }
    this.state = "live";
    this.onChange();
  }

  /** Stop resyncing: the page moved to another symbol (an answer still on its way is then ignored). */
  close() {
    clearTimeout(this.retry);
    this.generation += 1;
    this.state = "closed";
  }

  retryLater() {
    this.state = "waiting";
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.state = "empty";
      this.resync();
    }, RETRY_MS);
  }

  /** A side as [price, quantity, priceText, quantityText], best first (cached until the book changes). */
  sorted(side) {
    const cache = this.sortedSides;
    if (cache.version !== this.version) {
      for (const name of ["bids", "asks"]) cache[name] = null;
      cache.version = this.version;
    }
    if (!cache[side]) {
      const map = side === "bids" ? this.bids : this.asks;
      const levels = Array.from(map, ([price, quantity]) => [Number(price), Number(quantity), price, quantity]);
      levels.sort(side === "bids" ? (a, b) => b[0] - a[0] : (a, b) => a[0] - b[0]);
      cache[side] = levels;
    }
    return cache[side];
  }

  /** The best `count` levels of a side as [price, quantity, priceText, quantityText], best first. */
  levels(side, count) {
    return this.sorted(side).slice(0, count);
  }

  /** The best price of a side, or null. */
  best(side) {
    const levels = this.sorted(side);
    return levels.length ? levels[0][0] : null;
  }

  /**
   * The best `count` rows of a side with `group` ticks to a row, as an exchange's price grouping does
   * (0.01, 0.1, 1, ...): a bid falls in the row at or below its price, an ask in the row at or above,
   * so a grouped row never crosses the spread. `market` gives the tick and the decimals to show.
   */
  grouped(side, count, market, group) {
    if (group <= 1) return this.levels(side, count);
    const {tick, priceDecimals, quantityDecimals} = market;
    const decimals = Math.max(0, priceDecimals - Math.round(Math.log10(group)));
    const round = side === "bids" ? Math.floor : Math.ceil;
    const rows = [];
    let bucket = null;
    let quantity = 0;
    const close = () => {
      const price = bucket * group * tick;
      rows.push([price, quantity, price.toFixed(decimals), quantity.toFixed(quantityDecimals)]);
    };
    for (const level of this.sorted(side)) {
      const here = round(Math.round(level[0] / tick) / group);
      if (here !== bucket) {
        if (bucket !== null) {
          close();
          if (rows.length === count) return rows;
        }
        bucket = here;
        quantity = 0;
      }
      quantity += level[1];
    }
    if (bucket !== null && rows.length < count) close();
    return rows;
  }
}
