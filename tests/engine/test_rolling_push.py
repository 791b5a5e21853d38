"""``RollingStats.push`` (the engine's masked, full-width call) against ``update`` (rows
gathered): bit-identical windows, means and M2, through resyncs and rows that miss bars."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_advisor.features.rolling import RollingStats


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 12),
    window=st.integers(2, 9),
    steps=st.integers(1, 60),
    seed=st.integers(0, 2**32 - 1),
    short_seeds=st.booleans(),
)
def test_push_equals_update(n: int, window: int, steps: int, seed: int, short_seeds: bool) -> None:
    rng = np.random.default_rng(seed)
    seeds = [
        rng.normal(100, 5, int(rng.integers(0, window + 1)) if short_seeds else window + 3)
        for _ in range(n)
    ]
    pushed, updated = RollingStats(n, window), RollingStats(n, window)
    pushed.reset_all(seeds)
    updated.reset_all(seeds)
    for _ in range(steps):
        has = rng.random(n) < 0.8
        x = np.where(has, rng.normal(100, 5, n), np.nan)
        pushed.push(has, x)
        rows = np.flatnonzero(has)
        if rows.size:
            updated.update(rows, x[rows])
        for name in ("ring", "count", "head", "mean", "m2", "since_resync"):
            assert np.array_equal(getattr(pushed, name), getattr(updated, name)), name
        assert np.array_equal(pushed.sigma_all(), updated.sigma(np.arange(n)), equal_nan=True)
