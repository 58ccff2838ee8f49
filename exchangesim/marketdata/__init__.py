"""Market data: what moves the market (price models, ticks, agents) and what it did (candles, 24h)."""
