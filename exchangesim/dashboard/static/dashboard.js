// The dashboard: wires the REST client, the WebSocket and the panels, and redraws from one
// requestAnimationFrame loop. Messages only change plain state and mark what is dirty, so however
// fast the market ticks, each part is drawn at most once a frame (the charts and the health panel
// less often), and `window.exchangesimDashboard.stats()` reports the page's own counters.

import {AccountPanel} from "./account.js";
import {OrderBook} from "./book.js";
import {DepthChart, PriceChart} from "./charts.js";
import {ConditionsPanel} from "./conditions.js";
import {RateWindow} from "./counters.js";
import {el, setText} from "./dom.js";
import {FaultPanel} from "./faults.js";
import {HealthPanel} from "./health.js";
import {Ladder, TradeTape} from "./ladder.js";
import {MarketState} from "./market.js";
import {RestClient} from "./rest.js";
import {LiveSocket} from "./socket.js";

const GROUPS = [1, 10, 100, 1000]; // ticks per ladder row: the price grouping choices
const HEALTH_EVERY_MS = 250;
const API_KEY_KEY = "exchangesim.apiKey";
const byId = (id) => document.getElementById(id);

class Dashboard {
  constructor() {
    this.rest = new RestClient();
    this.rest.apiKey = sessionStorage.getItem(API_KEY_KEY) || "";
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.socket = new LiveSocket(`${scheme}://${location.host}/ws`, (message) => this.received(message), () => {
      this.healthDrawnAt = -Infinity; // show a change of socket state in the next frame
    });
    this.dirty = new Set();
    this.frames = 0; // animation frames run
    this.redraws = 0; // frames in which something was drawn
    this.frameRate = new RateWindow(2000);
    this.healthDrawnAt = -Infinity;
    this.symbol = null;
    this.interval = "1s";
    this.instruments = new Map(); // symbol -> the symbol as GET /symbols lists it
    this.market = null;
    this.book = null;
    this.priceChart = new PriceChart(byId("price-chart"), null, byId("chart-date"));
    this.depthChart = new DepthChart(byId("depth-chart"), null, () => ({
      bids: this.book ? this.book.sorted("bids") : [],
      asks: this.book ? this.book.sorted("asks") : [],
    }));
    this.ladder = new Ladder(byId("ladder"), () => this.mark("book"));
    this.tape = new TradeTape(byId("trades"));
    this.health = new HealthPanel({
      state: byId("ws-state-detail"), badge: byId("ws-state"), rtt: byId("rtt"), reconnects: byId("reconnects"), resyncs: byId("resyncs"),
      rest: byId("rest-rate"), lastError: byId("last-error"), fps: byId("fps"), channels: byId("health-channels"),
    });
    this.account = new AccountPanel(this.rest, {
      form: byId("order-form"), result: byId("order-result"), account: byId("account-name"),
      balances: byId("balances"), positions: byId("positions"), orders: byId("open-orders"), ordersCount: byId("orders-count"),
    }, () => this.symbol, () => this.mark("account"));
    this.conditions = new ConditionsPanel(this.rest, {
      locked: byId("conditions-locked"), body: byId("conditions-body"), list: byId("condition-list"),
      addForm: byId("condition-form"), result: byId("condition-result"),
    }, () => this.mark("conditions"));
    this.faults = new FaultPanel(this.rest, this.socket, {
      unlock: byId("fault-unlock"), body: byId("fault-body"), status: byId("faults-state"), halted: byId("faults-halted"),
      list: byId("fault-list"), addForm: byId("fault-form"), result: byId("fault-result"), counters: byId("fault-counters"),
      log: byId("fault-log"), halt: byId("faults-halt"), resume: byId("faults-resume"), forget: byId("faults-forget"),
    }, () => this.mark("faults"), (token) => this.conditions.setToken(token));
  }

  async start() {
    this.bindControls();
    this.socket.start();
    this.account.start();
    this.faults.start();
    requestAnimationFrame((now) => this.frame(now));
    let symbols = [];
    for (;;) {
      try {
        symbols = (await this.rest.call("GET", "/symbols")).symbols;
      } catch {
        symbols = [];
      }
      if (symbols.length) break;
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the daemon is not up (or not ready) yet
    }
    const picker = byId("symbol");
    this.instruments = new Map(symbols.map((s) => [s.symbol, s]));
    picker.replaceChildren(...symbols.map((s) => el("option", {value: s.symbol}, s.symbol)));
    this.conditions.setSymbols(symbols.map((s) => s.symbol));
    const asked = new URLSearchParams(location.search).get("symbol"); // ?symbol=ETH/USD, as the CLI opens it
    this.selectSymbol(symbols.some((s) => s.symbol === asked) ? asked : symbols[0].symbol);
  }

  bindControls() {
    byId("symbol").addEventListener("change", (event) => this.selectSymbol(event.target.value));
    byId("interval").addEventListener("change", (event) => {
      this.interval = event.target.value;
      if (this.symbol !== null) this.selectSymbol(this.symbol); // else the symbols, once loaded, will
    });
    byId("book-group").addEventListener("change", (event) => {
      this.ladder.group = Number(event.target.value);
      this.mark("book");
    });
    byId("depth-range").addEventListener("change", (event) => {
      this.depthChart.range = Number(event.target.value);
      this.depthChart.pending = true;
    });
    this.depthChart.range = Number(byId("depth-range").value);
    const key = byId("api-key");
    key.value = this.rest.apiKey;
    key.addEventListener("change", () => {
      this.rest.apiKey = key.value.trim();
      sessionStorage.setItem(API_KEY_KEY, this.rest.apiKey);
      this.account.refresh();
    });
  }

  /** Leave the current symbol's streams, start fresh state for `symbol`, seed it from REST, subscribe. */
  selectSymbol(symbol) {
    if (this.symbol !== null) {
      for (const operation of this.marketStreams(this.symbol, this.market.interval)) this.socket.unsubscribe(operation);
      this.book.close();
    }
    this.symbol = symbol;
    byId("symbol").value = symbol;
    this.market = new MarketState(symbol, this.interval, this.instruments.get(symbol));
    byId("chart-title").textContent = `${symbol} · ${this.interval} candles`;
    this.showGroups(this.market);
    this.book = new OrderBook(this.rest, symbol, () => this.mark("book"));
    this.priceChart.market = this.depthChart.market = this.market;
    for (const operation of this.marketStreams(symbol, this.interval)) this.socket.subscribe(operation);
    this.seed(this.market);
    this.mark("market", "book", "trades");
  }

  /** The grouping choices for a symbol: its tick, 10 ticks, 100 ticks, ... (back to one tick). */
  showGroups(market) {
    const picker = byId("book-group");
    picker.replaceChildren(...GROUPS.map((group) => {
      const decimals = Math.max(0, market.priceDecimals - Math.round(Math.log10(group)));
      return el("option", {value: String(group)}, (market.tick * group).toFixed(decimals));
    }));
    picker.value = "1";
    this.ladder.group = 1;
  }

  marketStreams(symbol, interval) {
    return [
      {channel: "TICKER", symbol},
      {channel: "TRADES", symbol},
      {channel: "BOOK", symbol},
      {channel: "CANDLES", symbol, interval},
    ];
  }

  async seed(market) {
    const query = {symbol: market.symbol};
    try {
      const [candles, trades] = await Promise.all([
        this.rest.call("GET", "/candles", {query: {...query, interval: market.interval, limit: 120}}),
        this.rest.call("GET", "/trades", {query: {...query, limit: 30}}),
      ]);
      market.addCandles(candles.candles);
      market.addTrades(trades.trades);
    } catch {
      return; // the streams fill the chart and the tape from now on
    }
    if (market === this.market) this.mark("market", "trades");
  }

  received(message) {
    if (message.channel === "FAULTS") {
      if (message.type === "FAULT" || message.type === "ERROR") this.faults.received(message);
      if (message.type === "FAULT") this.conditions.received(message.event);
      return;
    }
    if (message.type !== "MARKET_DATA" || message.symbol !== this.symbol) return;
    switch (message.channel) {
      case "BOOK":
        if (message.snapshot) this.book.snapshot(message);
        else this.book.delta(message);
        break;
      case "TRADES":
        this.market.addTrades([message]); // a repeated trade id is dropped there
        this.mark("trades", "market");
        break;
      case "TICKER":
        this.market.setTicker(message);
        this.mark("market");
        break;
      case "CANDLES":
        if (message.interval === this.market.interval) this.market.addCandles([message.candle]);
        this.mark("market");
        break;
    }
  }

  mark(...parts) {
    for (const part of parts) this.dirty.add(part);
  }

  /** One animation frame: draw what changed since the last one, each part once. */
  frame(now) {
    this.frames += 1;
    this.frameRate.add(1, now);
    const dirty = this.dirty;
    if (dirty.has("market")) {
      this.drawHeader();
      this.priceChart.pending = true;
    }
    if (dirty.has("book") && this.book) {
      this.ladder.draw(this.book, this.market);
      this.depthChart.pending = true;
    }
    if (dirty.has("trades")) this.tape.draw(this.market.trades);
    if (dirty.has("account")) this.account.draw();
    if (dirty.has("faults")) this.faults.draw();
    if (dirty.has("conditions")) this.conditions.draw();
    // The charts are the costly part: at most one of them per frame, each within its own rate.
    const charted = this.priceChart.flush(now) || this.depthChart.flush(now);
    const healthDue = now - this.healthDrawnAt >= HEALTH_EVERY_MS;
    if (healthDue) {
      this.healthDrawnAt = now;
      const resyncs = this.book ? this.book.resyncs : 0;
      this.health.draw({socket: this.socket.snapshot(), rest: this.rest.snapshot(), resyncs, fps: this.frameRate.perSecond(now)});
    }
    if (dirty.size || charted || healthDue) this.redraws += 1;
    dirty.clear();
    requestAnimationFrame((next) => this.frame(next));
  }

  drawHeader() {
    const last = this.market.lastPrice();
    const ticker = this.market.ticker || {};
    const open = ticker.open_24h ? Number(ticker.open_24h) : null;
    setText(byId("last-price"), last === null ? "–" : this.market.formatPrice(last));
    const change = byId("change");
    const pct = last !== null && open ? ((last - open) / open) * 100 : null;
    setText(change, pct === null ? "" : `${pct >= 0 ? "+" : ""}${pct.toFixed(2)}%`);
    change.className = pct === null ? "" : pct >= 0 ? "up" : "down";
    for (const [id, key] of [["best-bid", "best_bid"], ["best-ask", "best_ask"], ["high", "high_24h"], ["low", "low_24h"], ["volume", "volume_24h"]]) {
      setText(byId(id), ticker[key] ?? "–");
    }
  }

  /** The page's own counters, read-only, for people and for the browser tests. */
  stats() {
    const socket = this.socket.snapshot();
    return {
      frames: this.frames,
      redraws: this.redraws,
      fps: this.frameRate.perSecond(),
      chartRenders: {price: this.priceChart.renders, depth: this.depthChart.renders},
      chartPoints: {price: this.priceChart.points, depth: this.depthChart.points},
      symbol: this.symbol,
      candles: this.market ? this.market.candles.length : 0,
      trades: this.market ? this.market.trades.length : 0,
      book: this.book ? {state: this.book.state, seq: this.book.seq, bids: this.book.bids.size, asks: this.book.asks.size, resyncs: this.book.resyncs} : null,
      ws: socket,
      rest: this.rest.snapshot(),
      openOrders: this.account.orders.length,
      faults: this.faults.snapshot(),
      conditions: this.conditions.snapshot(),
      ladder: {rows: this.ladder.rows, group: this.ladder.group},
    };
  }
}

const dashboard = new Dashboard();
window.exchangesimDashboard = Object.freeze({stats: () => dashboard.stats()});
dashboard.start();
