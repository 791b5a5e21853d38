"""Pausing Python's cyclic garbage collector around bursts of allocation.

Why: a replay session and the encoding of a stored run each allocate some 100,000 small
tuples (transitions, signals, rows), and every 700 allocations start a collection; every
tenth of those is a deeper one that walks the run's earlier results too. None of these
objects form reference cycles (reference counting frees them), so collecting can wait until
the burst is over: ~10% of a replay and two thirds of encoding a run. The collector is only
paused for the burst, so cycles made elsewhere (an analyst's client, pandas) are still
collected between sessions.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic collection inside the block; the previous setting is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
