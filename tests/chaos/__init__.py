"""Chaos experiments on the live path: seeded random faults against the real components.

Each experiment injects faults at random (from ``--seed``) into the engine, the tick, the
executor or the LLM gateway, checks the invariants that must survive them, and reports a
row: what it tried, what it checked, how many checks failed. ``python -m tests.chaos``
(``make chaos``) runs the full number of trials; ``test_chaos_quick.py`` runs a few per
experiment inside ``make test`` and also proves each experiment can fail, by switching the
protection it exercises off.
"""
