"""The per-minute log's cost: the tick's write of one minute, and whole ticks with and
without the log, at 5, 50 and 500 symbols on SQLite and PostgreSQL.

Run: ``python -m benchmarks minute_log`` (PostgreSQL too with ``LLM_ADVISOR_PG_URL=$(bash
scripts/pg.sh url)``). The live tick runs once a minute with a 60 s Lambda budget; the log
must stay a small part of it. Also timed: the close's retention delete of one 500-symbol
session (195,000 rows), which runs once a day.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._scratch_db import scratch_postgres
from llm_advisor.core.config import StrategyConfig
from llm_advisor.live.engine import MinuteFeatures
from llm_advisor.live.tick import PremarketSessionContext, TickDeps, run_tick
from llm_advisor.local.stores import MemoryPlanQueue, MemoryStateStore
from llm_advisor.storage import Repository, open_repository

SIZES = (5, 50, 500)
WRITES = 100  # one-minute writes timed per size
TICKS = 45  # one-minute ticks timed per size (after the tick that begins the session)
DAY = date(2024, 3, 12)  # the 16th synthetic session from 2024-02-20
OPEN = datetime(2024, 3, 12, 13, 30, tzinfo=UTC)


def _ms(values: list[float]) -> str:
    a = np.array(values) * 1000
    return f"p50 {np.percentile(a, 50):7.2f} ms  p99 {np.percentile(a, 99):7.2f} ms"


def _features(syms: tuple[str, ...], minute: datetime, rng: np.random.Generator) -> Any:
    n = len(syms)
    z = rng.normal(0, 1.2, n)
    z[rng.random(n) < 0.02] = np.nan  # a few undefined, as early in a session
    return MinuteFeatures(
        minute,
        syms,
        np.arange(n),
        rng.uniform(10, 500, n),
        z,
        rng.uniform(10, 500, n),
        rng.uniform(0.01, 2, n),
        rng.uniform(0.01, 2, n),
        rng.integers(0, 7, n),
        rng.integers(-1, 2, n),
        np.tile(np.array([[2.0], [0.5], [2.5], [0.75]]), n),
    )


def _write_times(repo: Repository, n: int) -> list[float]:
    rng = np.random.default_rng(n)
    syms = tuple(f"S{i:03d}" for i in range(n))
    times = []
    for i in range(WRITES):
        mf = _features(syms, OPEN + timedelta(minutes=i), rng)
        t0 = time.perf_counter()
        repo.save_minute_log([mf], run_id=f"bench-write-{n}")
        times.append(time.perf_counter() - t0)
    return times


class _Feed:
    """MarketDataPort over in-memory frames (index positions found by binary search)."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames
        self.ns = {s: f.index.asi8 for s, f in frames.items()}

    def get_bars(
        self, symbols: list[str], start: datetime, end: datetime, timeframe: str = "1Min"
    ) -> dict[str, pd.DataFrame]:
        lo, hi = pd.Timestamp(start).value, pd.Timestamp(end).value
        out = {}
        for s in symbols:
            ix = self.ns[s]
            out[s] = self.frames[s].iloc[ix.searchsorted(lo) : ix.searchsorted(hi)]
        return out


def _tick_times(
    repo: Repository, frames: dict[str, pd.DataFrame], ctx: Any, log: bool
) -> list[float]:
    syms = tuple(sorted(frames))
    run = f"bench-tick-{len(syms)}-{'log' if log else 'nolog'}"
    deps = TickDeps(
        StrategyConfig(),
        syms,
        MemoryStateStore(),
        _Feed(frames),
        MemoryPlanQueue(),
        repo.scoped(run),
        lambda d: ctx,
        minute_log=log,
    )
    t = OPEN + timedelta(minutes=31)  # 10:01: the first tick begins and steps 30 minutes
    run_tick(t, deps)
    times = []
    for _ in range(TICKS):
        t += timedelta(minutes=1)
        t0 = time.perf_counter()
        res = run_tick(t, deps)
        times.append(time.perf_counter() - t0)
        assert res.status == "stepped" and (res.minute_rows > 0) == log, res.summary()
    return times


def _prune_day(repo: Repository) -> str:
    rng = np.random.default_rng(0)
    syms = tuple(f"S{i:03d}" for i in range(500))
    old = OPEN - timedelta(days=60)
    batch = [_features(syms, old + timedelta(minutes=i), rng) for i in range(390)]
    for i in range(0, 390, 30):
        repo.save_minute_log(batch[i : i + 30], run_id="bench-prune")
    t0 = time.perf_counter()
    n = repo.prune_minute_log(OPEN - timedelta(days=30), run_id="bench-prune")
    el = time.perf_counter() - t0
    return f"retention delete of one 500-symbol session: {n:,} rows in {el:.2f} s"


def _databases() -> Iterator[tuple[str, Repository]]:
    with tempfile.TemporaryDirectory() as tmp:
        repo = open_repository(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", migrate_schema=True)
        try:
            yield "sqlite", repo
        finally:
            repo.close()
    with scratch_postgres("bench_minute_log") as url:
        if url is None:
            return
        pg = open_repository(url, migrate_schema=True)
        try:
            yield "postgres", pg
        finally:
            pg.close()


def _contexts() -> Callable[[int], tuple[dict[str, pd.DataFrame], Any]]:
    from llm_advisor.data.synthetic import SyntheticMarket
    from llm_advisor.premarket.pipeline import build_premarket_context

    cache: dict[int, tuple[dict[str, pd.DataFrame], Any]] = {}

    def get(n: int) -> tuple[dict[str, pd.DataFrame], Any]:
        if n not in cache:
            syms = [f"S{i:03d}" for i in range(n)]
            frames = SyntheticMarket(seed=11).minute_bars(syms, date(2024, 2, 20), 16)
            doc = build_premarket_context(DAY, syms, frames, None, [], None)
            cache[n] = (frames, PremarketSessionContext(doc))
        return cache[n]

    return get


def run() -> list[str]:
    out = []
    contexts = _contexts()
    for engine, repo in _databases():
        for n in SIZES:
            out.append(
                f"{engine:<8} write 1 minute x {n:>3} symbols:       {_ms(_write_times(repo, n))}"
            )
        for n in SIZES:
            frames, ctx = contexts(n)
            with_log = _tick_times(repo, frames, ctx, True)
            without = _tick_times(repo, frames, ctx, False)
            out.append(f"{engine:<8} whole tick {n:>3} symbols, with log: {_ms(with_log)}")
            out.append(f"{engine:<8} whole tick {n:>3} symbols, no log:   {_ms(without)}")
        out.append(f"{engine:<8} {_prune_day(repo)}")
    return out


if __name__ == "__main__":
    for line in run():
        print(line)
