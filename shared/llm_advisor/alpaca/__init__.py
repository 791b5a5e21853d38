"""Alpaca adapters: market data, bracket orders, and the trade tracker/reconciler.

alpaca-py is imported lazily inside the adapters' factories so modules that only need the
pure reconciliation logic (or a Lambda that never talks to Alpaca) don't pay for it.
"""
