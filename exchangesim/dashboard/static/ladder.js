// The book ladder (asks above, bids below, size bars) and the recent-trades tape. The ladder has as
// many rows a side as its panel holds (a ResizeObserver adds or drops rows when the panel changes
// size) and shows each row only when a level fills it; rows are built once and only their text and
// bar widths change. The tape keeps one row per trade.

import {clockTime, el, keepRows, setText} from "./dom.js";

const ROW_PX = 16; // the CSS's --row: the height of one level

function row(kind) {
  const bar = el("div", {class: "bar"});
  const price = el("span", {class: "price"});
  const quantity = el("span", {class: "num"});
  const total = el("span", {class: "num dim"});
  const node = el("div", {class: `level ${kind}`, hidden: true}, bar, price, quantity, total);
  return {node, bar, price, quantity, total};
}

export class Ladder {
  /** `onResize()` is called when the panel's size changed the number of rows (redraw the book). The
   * asks' half is watched: both halves share what the header and the spread row leave. */
  constructor(container, onResize) {
    this.asks = [];
    this.bids = [];
    this.rows = 0;
    this.group = 1; // ticks per row: 1, 10, 100, ...
    this.spread = el("span", {class: "spread"});
    this.status = el("span", {class: "book-state"});
    this.askBox = el("div", {class: "ladder-side asks"});
    this.bidBox = el("div", {class: "ladder-side bids"});
    container.replaceChildren(
      el("div", {class: "level head"}, el("span", {}, "Price"), el("span", {class: "num"}, "Size"), el("span", {class: "num"}, "Total")),
      this.askBox,
      el("div", {class: "spread-row"}, this.spread, this.status),
      this.bidBox,
    );
    new ResizeObserver(() => {
      if (this.fit()) onResize();
    }).observe(this.askBox);
    this.fit();
  }

  /** Rows a side: as many as the panel's half holds. True if that changed. */
  fit() {
    const rows = Math.max(1, Math.floor(this.askBox.clientHeight / ROW_PX));
    if (rows === this.rows) return false;
    for (const [list, kind] of [[this.asks, "ask"], [this.bids, "bid"]]) {
      while (list.length < rows) list.push(row(kind));
      list.length = rows;
    }
    this.askBox.replaceChildren(...this.asks.slice().reverse().map((r) => r.node));
    this.bidBox.replaceChildren(...this.bids.map((r) => r.node));
    this.rows = rows;
    return true;
  }

  draw(book, market) {
    const asks = book.grouped("asks", this.rows, market, this.group);
    const bids = book.grouped("bids", this.rows, market, this.group);
    let max = 1e-12;
    for (const level of asks) max = Math.max(max, level[1]);
    for (const level of bids) max = Math.max(max, level[1]);
    this.fill(this.asks, asks, max, market.quantityDecimals);
    this.fill(this.bids, bids, max, market.quantityDecimals);
    const [bestAsk, bestBid] = [book.best("asks"), book.best("bids")];
    if (bestAsk !== null && bestBid !== null) {
      const spread = bestAsk - bestBid;
      setText(this.spread, `spread ${market.formatPrice(spread)} (${((spread / bestAsk) * 10000).toFixed(1)} bp)`);
    } else {
      setText(this.spread, "spread –");
    }
    setText(this.status, book.state === "live" ? `seq ${book.seq}` : book.state);
    this.status.classList.toggle("warn", book.state !== "live");
  }

  fill(rows, levels, max, quantityDecimals) {
    let total = 0;
    rows.forEach((r, index) => {
      const level = levels[index];
      if (r.node.hidden !== !level) r.node.hidden = !level;
      if (!level) {
        setText(r.price, ""); // a hidden row keeps no stale level
        return;
      }
      total += level[1];
      setText(r.price, level[2]);
      setText(r.quantity, level[3]);
      setText(r.total, total.toFixed(quantityDecimals));
      r.bar.style.width = `${Math.min(100, (level[1] / max) * 100).toFixed(1)}%`;
    });
  }
}

export class TradeTape {
  constructor(tbody) {
    this.tbody = tbody;
  }

  draw(trades) {
    keepRows(
      this.tbody,
      trades,
      (trade) => trade.id,
      (trade) => [
        el("td", {class: `num ${trade.side === "BUY" ? "up" : "down"}`}, trade.price),
        el("td", {class: "num"}, trade.quantity),
        el("td", {class: "num dim time"}, clockTime(trade.time)),
      ],
      () => {}, // a trade does not change
      "no trades yet",
      3,
    );
  }
}
