"""Features: rolling z-score statistics, Wilder ATR, EMA, bar aggregation, snapshots (pure)."""
