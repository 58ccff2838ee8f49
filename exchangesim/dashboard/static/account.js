// The account's balances, positions and open orders (polled over REST), and the order form:
// place a limit or market order, cancel from the open orders, the API's refusals shown as it says them.

import {el, keepRows, numCell, setNumber, setText, showResult} from "./dom.js";

const POLL_MS = 1000;

export class AccountPanel {
  constructor(rest, nodes, currentSymbol, onChange) {
    this.rest = rest;
    this.nodes = nodes; // {form, result, account, balances, positions, orders, ordersCount}
    this.currentSymbol = currentSymbol;
    this.onChange = onChange;
    this.balances = {};
    this.account = null;
    this.positions = [];
    this.orders = [];
    this.loadError = null;
    this.signature = null; // of the last answers drawn: unchanged answers are not redrawn
    this.inFlight = false;
    this.again = false;
    nodes.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.place();
    });
    nodes.form.elements.type.addEventListener("change", () => this.syncPriceField());
    this.syncPriceField();
  }

  start() {
    this.refresh();
    setInterval(() => this.refresh(), POLL_MS);
  }

  syncPriceField() {
    const market = this.nodes.form.elements.type.value === "MARKET";
    this.nodes.form.elements.price.disabled = market;
    this.nodes.form.elements.price.placeholder = market ? "at market" : "price";
  }

  async refresh() {
    if (this.inFlight) {
      this.again = true; // an order was just placed or canceled: look again once this answer is in
      return;
    }
    this.inFlight = true;
    this.again = false;
    try {
      const [balance, positions, orders] = await Promise.all([
        this.rest.call("GET", "/balance"),
        this.rest.call("GET", "/positions"),
        this.rest.call("GET", "/orders", {query: {status: "OPEN"}}),
      ]);
      const signature = JSON.stringify([balance, positions, orders]);
      if (signature === this.signature && this.loadError === null) return;
      this.signature = signature;
      this.account = balance.account;
      this.balances = balance.balances;
      this.positions = positions.positions;
      this.orders = orders.orders.sort((a, b) => Number(b.order_id) - Number(a.order_id));
      this.loadError = null;
    } catch (error) {
      this.loadError = error.describe ? error.describe() : String(error);
      this.signature = null;
    } finally {
      this.inFlight = false;
      if (this.again) setTimeout(() => this.refresh(), 0);
    }
    this.onChange();
  }

  async place() {
    const form = this.nodes.form.elements;
    for (const input of this.nodes.form.querySelectorAll(".invalid")) input.classList.remove("invalid");
    const order = {
      symbol: this.currentSymbol(),
      side: form.side.value,
      type: form.type.value,
      quantity: form.quantity.value.trim(),
    };
    if (order.type !== "MARKET") {
      order.price = form.price.value.trim();
      order.time_in_force = form.time_in_force.value;
    }
    try {
      const placed = await this.rest.call("POST", "/orders", {body: order});
      const filled = placed.filled_quantity && Number(placed.filled_quantity) > 0 ? `, filled ${placed.filled_quantity}` : "";
      this.report("ok", `order ${placed.order_id} ${placed.status}: ${placed.side} ${placed.quantity ?? ""} ${placed.symbol}${placed.price ? ` @ ${placed.price}` : ""}${filled}`);
    } catch (error) {
      this.report("error", error.describe());
      const field = error.field && this.nodes.form.querySelector(`[name="${CSS.escape(error.field)}"]`);
      if (field) field.classList.add("invalid");
    }
    this.refresh();
  }

  async cancel(orderId) {
    try {
      const canceled = await this.rest.call("DELETE", `/orders/${encodeURIComponent(orderId)}`);
      this.report("ok", `order ${canceled.order_id} ${canceled.status}`);
    } catch (error) {
      this.report("error", error.describe());
    }
    this.refresh();
  }

  report(kind, text) {
    showResult(this.nodes.result, kind, text);
  }

  draw() {
    const {account, balances, positions, orders, ordersCount} = this.nodes;
    account.textContent = this.loadError ? this.loadError : this.account ?? "…";
    account.classList.toggle("error", Boolean(this.loadError));
    keepRows(
      balances,
      Object.entries(this.balances),
      ([asset]) => asset,
      ([asset]) => [asset, numCell(), numCell(), numCell()],
      (row, [, view]) => {
        const [, available, locked, total] = row.cells;
        setNumber(available, view.available);
        setNumber(locked, view.locked);
        setNumber(total, view.total);
      },
      "no balances",
      4,
    );
    keepRows(
      positions,
      this.positions,
      (position) => position.symbol,
      (position) => [position.symbol, numCell(), numCell(), numCell(), numCell()],
      (row, position) => {
        const [, quantity, average, unrealized, realized] = row.cells;
        setNumber(quantity, position.quantity);
        setNumber(average, position.average_price);
        setNumber(unrealized, position.unrealized_pnl);
        setNumber(realized, position.realized_pnl);
        unrealized.className = `num ${pnlClass(position.unrealized_pnl)}`;
        realized.className = `num ${pnlClass(position.realized_pnl)}`;
      },
      "no positions",
      5,
    );
    ordersCount.textContent = String(this.orders.length);
    keepRows(
      orders,
      this.orders,
      (order) => order.order_id,
      (order) => [
        numCell(order.order_id),
        order.symbol,
        el("td", {class: order.side === "BUY" ? "up" : "down"}, order.side),
        order.type,
        numCell(order.price),
        numCell(order.quantity),
        numCell(),
        el("td", {}),
        el("td", {}, el("button", {
          class: "cancel", type: "button", "data-order-id": order.order_id, title: "cancel",
          "aria-label": `cancel order ${order.order_id}`, onclick: () => this.cancel(order.order_id),
        }, "×")),
      ],
      (row, order) => {
        setNumber(row.cells[6], order.filled_quantity);
        setText(row.cells[7], order.status);
      },
      "no open orders",
      9,
    );
  }
}

function pnlClass(value) {
  const number = Number(value);
  return number > 0 ? "up" : number < 0 ? "down" : "";
}
