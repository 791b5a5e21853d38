"""Replay: drive the engine over recorded or synthetic sessions (the backtest driver)."""
