"""Live: the pure per-bar engine (features -> state machine -> orders) and its state."""
