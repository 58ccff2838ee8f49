// The two Plotly charts: candles with a last-price line, and the book's cumulative depth.
// Each redraws with Plotly.react at most every `minIntervalMs`, however often the data changes.

const UP = "#26a69a";
const DOWN = "#ef5350";
const GRID = "#1f2a37";
const TEXT = "#8b98a9";
const DEPTH_BAND = 0.01; // the depth chart shows levels within 1% of the mid price
const CONFIG = {displayModeBar: false, responsive: true};

function baseLayout() {
  return {
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: {family: "Inter, system-ui, sans-serif", size: 10, color: TEXT},
    margin: {l: 8, r: 64, t: 6, b: 22},
    showlegend: false,
    hovermode: "x",
    dragmode: false,
  };
}

/** A chart that redraws at most every `minIntervalMs`; `figure()` gives its data and layout. */
class ThrottledChart {
  constructor(node, minIntervalMs) {
    this.node = node;
    this.minIntervalMs = minIntervalMs;
    this.lastDrawAt = -Infinity;
    this.pending = false;
    this.renders = 0;
    this.points = 0;
  }

  /** Draw what is pending (`pending`: the data changed) if the interval has passed; true if it drew.
   * The frame loop calls it every frame. */
  flush(now) {
    if (!this.pending || now - this.lastDrawAt < this.minIntervalMs) return false;
    const figure = this.figure();
    if (!figure) return false;
    this.pending = false;
    this.lastDrawAt = now;
    this.points = figure.data.reduce((sum, trace) => sum + (trace.x ? trace.x.length : 0), 0);
    Plotly.react(this.node, figure.data, figure.layout, CONFIG);
    this.renders += 1;
    return true;
  }
}

export class PriceChart extends ThrottledChart {
  constructor(node, market) {
    super(node, 200);
    this.market = market;
  }

  figure() {
    const candles = this.market.candles;
    if (!candles.length) return null;
    const last = this.market.lastPrice();
    const first = candles[candles.length - 1];
    const rising = last !== null && last >= first.open;
    const layout = {
      ...baseLayout(),
      xaxis: {type: "date", rangeslider: {visible: false}, gridcolor: GRID, zeroline: false, fixedrange: true},
      yaxis: {side: "right", gridcolor: GRID, zeroline: false, fixedrange: true, tickformat: `,.${this.market.priceDecimals}f`},
      shapes: [],
      annotations: [],
    };
    if (last !== null) {
      const color = rising ? UP : DOWN;
      layout.shapes.push({
        type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: last, y1: last,
        line: {color, width: 1, dash: "dot"},
      });
      layout.annotations.push({
        xref: "paper", x: 1, xanchor: "left", yref: "y", y: last, text: this.market.formatPrice(last), showarrow: false,
        font: {color: "#0b0f14", size: 10}, bgcolor: color, borderpad: 2,
      });
    }
    const x = candles.map((candle) => candle.time);
    const data = [
      {
        type: "candlestick",
        name: this.market.symbol,
        x,
        open: candles.map((candle) => candle.open),
        high: candles.map((candle) => candle.high),
        low: candles.map((candle) => candle.low),
        close: candles.map((candle) => candle.close),
        increasing: {line: {color: UP, width: 1}, fillcolor: UP},
        decreasing: {line: {color: DOWN, width: 1}, fillcolor: DOWN},
        whiskerwidth: 0,
        hoverinfo: "x+y",
      },
    ];
    return {data, layout};
  }
}

export class DepthChart extends ThrottledChart {
  constructor(node, market, levels) {
    super(node, 250);
    this.market = market; // its steps set the axis and hover formats
    this.levels = levels; // () => {bids, asks}: [price, quantity] best first
  }

  figure() {
    const book = this.levels();
    if (!book.bids.length && !book.asks.length) return null;
    // Levels within DEPTH_BAND of the touch: one far-off order would squash the rest into a line.
    const mid = book.bids.length && book.asks.length ? (book.bids[0][0] + book.asks[0][0]) / 2 : (book.bids[0] || book.asks[0])[0];
    const near = (level) => Math.abs(level[0] - mid) <= mid * DEPTH_BAND;
    const bids = book.bids.filter(near);
    const asks = book.asks.filter(near);
    const {priceDecimals, quantityDecimals} = this.market;
    const cumulative = (levels) => {
      let total = 0;
      return levels.map((level) => (total += level[1]));
    };
    const side = (levels, color, fill) => ({
      type: "scatter",
      mode: "lines",
      x: levels.map((level) => level[0]),
      y: cumulative(levels),
      line: {color, width: 1.5, shape: "hv"},
      fill: "tozeroy",
      fillcolor: fill,
      hovertemplate: `%{x:,.${priceDecimals}f}<br>Σ %{y:,.${quantityDecimals}f}<extra></extra>`,
    });
    const layout = {
      ...baseLayout(),
      margin: {l: 8, r: 48, t: 4, b: 20},
      xaxis: {gridcolor: GRID, zeroline: false, fixedrange: true, tickformat: ","},
      yaxis: {side: "right", gridcolor: GRID, zeroline: false, fixedrange: true},
    };
    return {data: [side(bids, UP, "rgba(38,166,154,0.18)"), side(asks, DOWN, "rgba(239,83,80,0.18)")], layout};
  }
}
