// One symbol's market as the page knows it: candles, the ticker and recent trades, seeded from REST
// and kept up by the CANDLES, TICKER and TRADES streams.

import {stepDecimals} from "./dom.js";

const MAX_CANDLES = 240;
const MAX_TRADES = 60;
const REMEMBERED_TRADES = 1000; // trade ids kept to drop repeats (REST and WS overlap, duplicate faults)

export class MarketState {
  /** `instrument` is the symbol as `GET /symbols` lists it: its steps set how prices and sizes are shown. */
  constructor(symbol, interval, instrument) {
    this.symbol = symbol;
    this.interval = interval;
    this.priceDecimals = stepDecimals(instrument.tick_size);
    this.quantityDecimals = stepDecimals(instrument.lot_size);
    this.tick = Number(instrument.tick_size);
    this.candles = []; // oldest first, one per open_time
    this.ticker = null;
    this.trades = []; // newest first
    this.tradeIds = new Set();
    this.tradeOrder = [];
  }

  /** Merge candles (REST history or a stream message): a candle replaces the one with its open_time. */
  addCandles(candles) {
    for (const raw of candles) {
      const candle = {
        time: raw.open_time,
        open: Number(raw.open),
        high: Number(raw.high),
        low: Number(raw.low),
        close: Number(raw.close),
        volume: Number(raw.volume),
      };
      const last = this.candles[this.candles.length - 1];
      if (!last || candle.time > last.time) this.candles.push(candle);
      else if (candle.time === last.time) this.candles[this.candles.length - 1] = candle;
      else {
        const index = this.candles.findIndex((known) => known.time >= candle.time);
        if (this.candles[index].time === candle.time) this.candles[index] = candle;
        else this.candles.splice(index, 0, candle);
      }
    }
    if (this.candles.length > MAX_CANDLES) this.candles.splice(0, this.candles.length - MAX_CANDLES);
  }

  setTicker(ticker) {
    this.ticker = ticker;
  }

  /** Add trades (any order); repeats by trade id are dropped. */
  addTrades(trades) {
    for (const trade of trades) {
      if (this.tradeIds.has(trade.trade_id)) continue;
      this.tradeIds.add(trade.trade_id);
      this.tradeOrder.push(trade.trade_id);
      if (this.tradeOrder.length > REMEMBERED_TRADES) this.tradeIds.delete(this.tradeOrder.shift());
      this.trades.push({
        id: trade.trade_id,
        price: trade.price,
        quantity: trade.quantity,
        side: trade.side,
        time: trade.timestamp ?? trade.ts,
      });
    }
    this.trades.sort((a, b) => b.time - a.time || Number(b.id) - Number(a.id));
    if (this.trades.length > MAX_TRADES) this.trades.length = MAX_TRADES;
  }

  /** The last traded price: the ticker's, else the newest trade's, else the last close. */
  lastPrice() {
    if (this.ticker && this.ticker.last_price !== null) return Number(this.ticker.last_price);
    if (this.trades.length) return Number(this.trades[0].price);
    const last = this.candles[this.candles.length - 1];
    return last ? last.close : null;
  }

  /** A price as text, to the symbol's tick. */
  formatPrice(value) {
    return value.toFixed(this.priceDecimals);
  }
}
