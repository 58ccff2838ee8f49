// The book ladder (asks above, bids below, size bars) and the recent-trades tape. Rows are built once
// and only their text and bar widths change, so a redraw costs no layout of new nodes.

import {clockTime, el, setText} from "./dom.js";

function row(kind) {
  const bar = el("div", {class: "bar"});
  const price = el("span", {class: "price"});
  const quantity = el("span", {class: "num"});
  const total = el("span", {class: "num dim"});
  const node = el("div", {class: `level ${kind}`}, bar, price, quantity, total);
  return {node, bar, price, quantity, total};
}

export class Ladder {
  constructor(container, depth) {
    this.depth = depth;
    this.asks = Array.from({length: depth}, () => row("ask"));
    this.bids = Array.from({length: depth}, () => row("bid"));
    this.spread = el("div", {class: "spread"});
    this.status = el("span", {class: "book-state"});
    container.replaceChildren(
      el("div", {class: "level head"}, el("span", {}, "Price"), el("span", {class: "num"}, "Size"), el("span", {class: "num"}, "Total")),
      ...this.asks.slice().reverse().map((r) => r.node),
      el("div", {class: "spread-row"}, this.spread, this.status),
      ...this.bids.map((r) => r.node),
    );
  }

  draw(book, market) {
    const asks = book.levels("asks", this.depth);
    const bids = book.levels("bids", this.depth);
    const max = Math.max(1e-12, ...asks.map((level) => level[1]), ...bids.map((level) => level[1]));
    this.fill(this.asks, asks, max, market.quantityDecimals);
    this.fill(this.bids, bids, max, market.quantityDecimals);
    if (asks.length && bids.length) {
      const spread = asks[0][0] - bids[0][0];
      setText(this.spread, `spread ${market.formatPrice(spread)} (${((spread / asks[0][0]) * 10000).toFixed(1)} bp)`);
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
      if (!level) {
        setText(r.price, "");
        setText(r.quantity, "");
        setText(r.total, "");
        r.bar.style.width = "0";
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
  constructor(tbody, rows) {
    this.rows = Array.from({length: rows}, () => {
      const cells = [el("td", {class: "num"}), el("td", {class: "num"}), el("td", {class: "num dim"})];
      const node = el("tr", {}, ...cells);
      return {node, cells};
    });
    tbody.replaceChildren(...this.rows.map((r) => r.node));
  }

  draw(trades) {
    this.rows.forEach((r, index) => {
      const trade = trades[index];
      const [price, quantity, time] = r.cells;
      setText(price, trade ? trade.price : "");
      setText(quantity, trade ? trade.quantity : "");
      setText(time, trade ? clockTime(trade.time) : "");
      price.className = `num ${trade ? (trade.side === "BUY" ? "up" : "down") : ""}`;
    });
  }
}
