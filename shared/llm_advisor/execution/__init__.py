"""Execution: order planning, risk sizing, simulated fills and the broker-facing services."""
