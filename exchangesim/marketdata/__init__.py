"""Market data: what the market did (rolling ticker statistics) and, later, what makes it move."""
