// The two Plotly charts: candles with a last-price line, and the book's cumulative depth over a chosen
// range around the mid price. Each redraws with Plotly.react at most every `minIntervalMs`, however
// often the data changes, and follows its panel's size (a ResizeObserver, not only window resizes).

const UP = "#2bb3a6";
const DOWN = "#f46a66";
const GRID = "#1f2a37";
const TEXT = "#8b98a9";
const CONFIG = {displayModeBar: false, responsive: false};

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
    let queued = false;
    new ResizeObserver(() => {
      if (queued || !node._fullLayout) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        if (node.offsetWidth && node.offsetHeight) Plotly.Plots.resize(node);
      });
    }).observe(node);
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

// The time axis's labels: one line each, so none reaches past the chart's edge (plotly's own date
// line under the first label does, at the left edge); the date is shown in the panel's heading.
const TIME_FORMATS = {"1s": "%H:%M:%S", "1m": "%H:%M", "5m": "%H:%M", "15m": "%H:%M", "1h": "%d %b %H:%M", "1d": "%d %b %Y"};

export class PriceChart extends ThrottledChart {
  /** `dateNode` shows the date of the latest candle. */
  constructor(node, market, dateNode) {
    super(node, 200);
    this.market = market;
    this.dateNode = dateNode;
  }

  figure() {
    const candles = this.market.candles;
    if (!candles.length) return null;
    const last = this.market.lastPrice();
    const first = candles[candles.length - 1];
    const date = new Date(first.time).toLocaleDateString(undefined, {year: "numeric", month: "short", day: "numeric"});
    if (this.dateNode.textContent !== date) this.dateNode.textContent = date;
    const rising = last !== null && last >= first.open;
    const layout = {
      ...baseLayout(),
      xaxis: {
        type: "date", rangeslider: {visible: false}, gridcolor: GRID, zeroline: false, fixedrange: true, automargin: true,
        tickformat: TIME_FORMATS[this.market.interval] ?? "%H:%M", hoverformat: "%Y-%m-%d %H:%M:%S",
      },
      yaxis: {side: "right", gridcolor: GRID, zeroline: false, fixedrange: true, automargin: true, tickformat: `,.${this.market.priceDecimals}f`},
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
    this.range = 0.002; // the chart spans the mid price plus and minus this fraction
  }

  figure() {
    const book = this.levels();
    if (!book.bids.length && !book.asks.length) return null;
    const mid = book.bids.length && book.asks.length ? (book.bids[0][0] + book.asks[0][0]) / 2 : (book.bids[0] || book.asks[0])[0];
    const low = mid * (1 - this.range);
    const high = mid * (1 + this.range);
    const {priceDecimals, quantityDecimals} = this.market;
    // Each side's cumulative size from the touch out to the range's edge, held flat to the edge.
    const side = (levels, inside, edge, color, fill) => {
      const x = [];
      const y = [];
      let total = 0;
      for (const level of levels) {
        if (!inside(level[0])) break;
        total += level[1];
        x.push(level[0]);
        y.push(total);
      }
      if (x.length) {
        x.push(edge);
        y.push(total);
      }
      return {
        type: "scatter",
        mode: "lines",
        x,
        y,
        line: {color, width: 1.5, shape: "hv"},
        fill: "tozeroy",
        fillcolor: fill,
        hovertemplate: `%{x:,.${priceDecimals}f}<br>Σ %{y:,.${quantityDecimals}f}<extra></extra>`,
      };
    };
    const layout = {
      ...baseLayout(),
      margin: {l: 8, r: 48, t: 4, b: 20},
      xaxis: {gridcolor: GRID, zeroline: false, fixedrange: true, automargin: true, range: [low, high], tickformat: ","},
      yaxis: {side: "right", gridcolor: GRID, zeroline: false, fixedrange: true, automargin: true, rangemode: "tozero"},
      shapes: [{type: "line", xref: "x", x0: mid, x1: mid, yref: "paper", y0: 0, y1: 1, line: {color: TEXT, width: 1, dash: "dot"}}],
    };
    return {
      data: [
        side(book.bids, (price) => price >= low, low, UP, "rgba(43,179,166,0.18)"),
        side(book.asks, (price) => price <= high, high, DOWN, "rgba(244,106,102,0.18)"),
      ],
      layout,
    };
  }
}
