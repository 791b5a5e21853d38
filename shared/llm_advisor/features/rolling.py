"""Rolling mean / population sigma over the last W closes, for many symbols at once.

O(1) per bar: a sliding Welford update (add the new close, drop the oldest) with a full
two-pass recomputation of a row every W updates, which bounds float drift no matter how
many updates run (a test compares with a fresh recomputation after a million updates).
The arrays are the state: they serialize exactly, so a resumed engine continues bit for
bit where it stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray


class RollingStats:
    """Struct of arrays: row i is symbol i's window (a ring buffer of closes)."""

    def __init__(self, n: int, window: int) -> None:
        self.window = window
        self.ring: NDArray[np.float64] = np.zeros((n, window))
        self.count: NDArray[np.int64] = np.zeros(n, dtype=np.int64)
        self.head: NDArray[np.int64] = np.zeros(n, dtype=np.int64)
        self.mean: NDArray[np.float64] = np.zeros(n)
        self.m2: NDArray[np.float64] = np.zeros(n)
        self.since_resync: NDArray[np.int64] = np.zeros(n, dtype=np.int64)
        self._refresh()

    def _refresh(self) -> None:
        """Derived bookkeeping (never saved): whether every window is full, and how many
        all-row updates may pass before some row is due its resync."""
        w = self.window
        n = self.count.size
        self.all_full = bool((self.count >= w).all()) and n > 0
        self._row_base = np.arange(n, dtype=np.int64) * w
        self.ring = np.ascontiguousarray(self.ring)
        self._flat = self.ring.reshape(-1)  # a view: puts land in the ring
        self._until_due = w - int(self.since_resync.max()) if n else w

    def reset_all(self, seeds: Sequence[Sequence[float] | NDArray[np.float64] | None]) -> None:
        """Refill every row from its seed closes (the last ``window`` are kept).

        Rows are computed together with the same masked full-width arithmetic as the
        periodic resync, so one symbol alone and the same symbol among 500 get identical
        statistics (live/replay parity)."""
        w = self.window
        self.ring[:, :] = 0.0
        for i, seed in enumerate(seeds):
            c = np.asarray(seed if seed is not None else (), dtype=np.float64)[-w:]
            self.ring[i, : c.size] = c
            self.count[i] = c.size
        self.head[:] = self.count % w
        self.since_resync[:] = 0
        self.mean[:] = 0.0
        self.m2[:] = 0.0
        rows = np.flatnonzero(self.count > 0)
        if rows.size:
            self._resync(rows)
        self._refresh()

    def reset_row(self, i: int, closes: NDArray[np.float64]) -> None:
        """Refill row i from scratch with the last ``window`` of ``closes`` (seeding)."""
        w = self.window
        c = np.asarray(closes, dtype=np.float64)[-w:]
        k = c.size
        self.ring[i, :] = 0.0
        self.ring[i, :k] = c
        self.count[i] = k
        self.head[i] = k % w
        self.since_resync[i] = 0
        if k:
            m = float(np.mean(c))
            self.mean[i] = m
            self.m2[i] = float(np.sum((c - m) ** 2))
        else:
            self.mean[i] = 0.0
            self.m2[i] = 0.0
        self._refresh()

    def push(self, has: NDArray[np.bool_], x: NDArray[np.float64]) -> None:
        """Push x[i] into every row i where ``has[i]`` (x is NaN elsewhere): the engine's
        per-minute call. Full-width views with the absent rows masked out cost less than
        gathering the present ones, and most minutes some symbol lacks a bar."""
        if not self.all_full:
            rows = np.flatnonzero(has)
            self.update(rows, x[rows])
            return
        w = self.window
        pos = self._row_base + self.head
        old = self._flat.take(pos)
        mean = self.mean
        d_rep = x - old
        mean_rep = mean + d_rep / w
        m2 = self.m2 + d_rep * (x - mean_rep + old - mean)
        np.copyto(self.mean, mean_rep, where=has)
        np.copyto(self.m2, m2, where=has)
        self._flat.put(pos, np.where(has, x, old))
        head = self.head
        head += has
        head[head == w] = 0
        since = self.since_resync
        since += has
        self._after_push()

    def native_push(self) -> bool | None:
        """Ask to push this minute in the engine's native kernel (which does no resync):
        None when it cannot (some window is not full), False when it can and no row is
        due a resync after it, True when ``after_native_push`` must run right after."""
        if not self.all_full:
            return None
        self._until_due -= 1
        return self._until_due <= 0

    def after_native_push(self) -> None:
        """Resync the rows the native push made due (``native_push`` returned True)."""
        self._resync_due()

    def _after_push(self) -> None:
        """Resync the rows that are due. A push raises any row's count by at most one, so
        no row can be due before ``_until_due`` pushes: only then is the array looked at."""
        self._until_due -= 1
        if self._until_due > 0:
            return
        self._resync_due()

    def _resync_due(self) -> None:
        w = self.window
        due = np.flatnonzero(self.since_resync >= w)
        if due.size:
            self._resync(due)
        self._until_due = w - int(self.since_resync.max())

    def update(self, idx: NDArray[np.intp], x: NDArray[np.float64]) -> None:
        """Push close x[j] into row idx[j] for every j (rows are distinct, sorted)."""
        w = self.window
        # Every row at once: whole-array views instead of gather/scatter.
        ix: NDArray[np.intp] | slice = slice(None) if idx.size == self.count.size else idx
        cnt = self.count[ix]
        head = self.head[ix]
        mean = self.mean[ix]
        m2 = self.m2[ix]
        full = cnt >= w
        old = self.ring[idx, head]
        if full.all():
            # the common case once seeded: every window is full, only the replace update
            d_rep = x - old
            mean_rep = mean + d_rep / w
            self.m2[ix] = m2 + d_rep * (x - mean_rep + old - mean)
            self.mean[ix] = mean_rep
        else:
            # growing rows: Welford add; full rows: replace the oldest
            new_cnt = np.where(full, cnt, cnt + 1)
            d_add = x - mean
            mean_add = mean + d_add / new_cnt
            m2_add = m2 + d_add * (x - mean_add)
            d_rep = x - old
            mean_rep = mean + d_rep / w
            m2_rep = m2 + d_rep * (x - mean_rep + old - mean)
            self.mean[ix] = np.where(full, mean_rep, mean_add)
            self.m2[ix] = np.where(full, m2_rep, m2_add)
            self.count[ix] = new_cnt
            self.all_full = bool((self.count >= w).all())
        self.ring[idx, head] = x
        self.head[ix] = (head + 1) % w
        since = self.since_resync[ix] + 1
        self.since_resync[ix] = since
        due = since >= w
        if due.any():
            self._resync(idx[due])
        self._until_due = 0  # rows moved unevenly: the next push looks again

    def _resync(self, rows: NDArray[np.intp]) -> None:
        r = self.ring[rows]
        cnt = self.count[rows]
        mask = np.arange(self.window)[None, :] < cnt[:, None]
        full = cnt >= self.window
        # a partially filled ring holds its values at [0, count) (it is never wrapped)
        vals = np.where(mask | full[:, None], r, 0.0)
        m = vals.sum(axis=1) / cnt
        dev = np.where(mask | full[:, None], r - m[:, None], 0.0)
        self.mean[rows] = m
        self.m2[rows] = (dev * dev).sum(axis=1)
        self.since_resync[rows] = 0

    def sigma_all(self) -> NDArray[np.float64]:
        """``sigma`` of every row (one division by the window when all are full)."""
        if self.all_full:
            return np.sqrt(np.maximum(self.m2, 0.0) / self.window)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sqrt(np.maximum(self.m2, 0.0) / self.count)

    def sigma(self, idx: NDArray[np.intp]) -> NDArray[np.float64]:
        cnt = self.count[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sqrt(np.maximum(self.m2[idx], 0.0) / cnt)

    def window_values(self, i: int) -> NDArray[np.float64]:
        """Row i's closes in arrival order (oldest first) — for tests and inspection."""
        k = int(self.count[i])
        if k < self.window:
            return self.ring[i, :k].copy()
        h = int(self.head[i])
        return np.concatenate((self.ring[i, h:], self.ring[i, :h]))

    def to_state(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "ring": self.ring.tolist(),
            "count": self.count.tolist(),
            "head": self.head.tolist(),
            "mean": self.mean.tolist(),
            "m2": self.m2.tolist(),
            "since_resync": self.since_resync.tolist(),
        }

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> RollingStats:
        ring = np.asarray(d["ring"], dtype=np.float64)
        obj = cls(ring.shape[0], int(d["window"]))
        obj.ring = ring.reshape(len(d["count"]), obj.window)
        obj.count = np.asarray(d["count"], dtype=np.int64)
        obj.head = np.asarray(d["head"], dtype=np.int64)
        obj.mean = np.asarray(d["mean"], dtype=np.float64)
        obj.m2 = np.asarray(d["m2"], dtype=np.float64)
        obj.since_resync = np.asarray(d["since_resync"], dtype=np.int64)
        obj._refresh()
        return obj
