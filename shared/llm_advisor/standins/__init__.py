"""Local stand-ins of outside services (Alpaca) for tests and ``make demo``.

They live inside the package, not under ``tests/``, because the demo drives the real
adapters against them with no keys and no network.
"""
