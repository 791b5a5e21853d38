"""Replay speed against the goals of issue 15, in one run, on synthetic data.

1. The engine's step alone, 500 symbols: symbol-bars/s and the p99 of one minute's
   decision (goals >= 5 M symbol-bars/s, p99 <= 0.5 ms).
2. The replay end to end from bar files, as ``replay --bars-dir`` does it: 500 symbols x 20
   sessions written as CSV.gz, converted once to the columnar store (timed apart: a one-off),
   then read from the store, replayed, and the run stored in SQLite (goal >= 1.5 M/s).
3. Time and peak memory against the number of sessions (20, 60, 250), one subprocess per
   size so each peak RSS is its own. 100 symbols, not 500, to keep ``make bench`` within a
   few minutes; the bars are generated in the child (in memory: the replay is not streamed).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from llm_advisor.core.config import StrategyConfig
from llm_advisor.data.synthetic import SyntheticMarket
from llm_advisor.engine import Engine, MinuteBars, session_for_config
from llm_advisor.features.snapshot import build_snapshots
from llm_advisor.replay.runner import run_replay

START = date(2026, 2, 2)
SESSIONS = 20
HISTORY = 10
LINEAR_SYMBOLS = 100
LINEAR_SESSIONS = (20, 60, 250)


def _symbols(n: int) -> list[str]:
    return [f"S{i:03d}" for i in range(n)]


def _bars(n: int, sessions: int = SESSIONS, start: date = START) -> dict[str, pd.DataFrame]:
    """``sessions`` from ``start`` plus ``HISTORY`` sessions before it (the snapshots)."""
    from llm_advisor.replay.inputs import _sessions_back

    first = _sessions_back(start, HISTORY)
    return SyntheticMarket(11).minute_bars(_symbols(n), first, HISTORY + sessions, premarket=False)


def _engine_step(n: int = 500) -> list[str]:
    bars = _bars(n)
    days = SyntheticMarket.session_days(START, SESSIONS)
    cfg = StrategyConfig()
    syms = sorted(bars)
    eng = Engine(cfg, syms)
    times: list[float] = []
    snaps = {s: build_snapshots(s, bars[s], days, cfg) for s in syms}
    for day in days[:5]:
        sess = session_for_config(day, cfg)
        grid = np.full((5, sess.minutes, n), np.nan)
        seeds = {}
        for j, s in enumerate(syms):
            df = bars[s]
            idx = df.index
            seeds[s] = df[idx < sess.open]["close"].to_numpy()[-cfg.rolling_window :]
            day_df = df[(idx >= sess.open) & (idx < sess.close)]
            mins = ((day_df.index - sess.open).total_seconds() // 60).astype(int)
            for k, col in enumerate(("open", "high", "low", "close", "volume")):
                grid[k, mins, j] = day_df[col].to_numpy()
        eng.begin_session(sess, {s: snaps[s][day] for s in syms}, seeds)
        for i in range(sess.minutes):
            mb = MinuteBars(grid[0, i], grid[1, i], grid[2, i], grid[3, i], grid[4, i])
            t0 = time.perf_counter()
            eng.step(sess.open + timedelta(minutes=i), mb)
            times.append(time.perf_counter() - t0)
        eng.end_session()
    a = np.array(times) * 1000
    rate = n / (a.mean() / 1000)
    p99 = float(np.percentile(a, 99))
    return [
        f"engine step, {n} symbols ({a.size} minutes): mean {a.mean():.3f} ms, p50 "
        f"{np.percentile(a, 50):.3f} ms, p99 {p99:.3f} ms, max {a.max():.3f} ms",
        f"  engine alone {rate:>12,.0f} symbol-bars/s (goal >= 5,000,000: "
        f"{_ok(rate >= 5e6)}); p99 {p99:.3f} ms (goal <= 0.5 ms: {_ok(p99 <= 0.5)})",
    ]


def _ok(met: bool) -> str:
    return "met" if met else "NOT met"


def _end_to_end(n: int = 500) -> list[str]:
    from llm_advisor.data import columnar
    from llm_advisor.data.barfiles import write_bar_file
    from llm_advisor.replay.inputs import from_columnar
    from llm_advisor.storage.replay_store import record_replay
    from llm_advisor.storage.repository import open_repository

    days = SyntheticMarket.session_days(START, SESSIONS)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "bars"
        for sym, df in _bars(n).items():
            write_bar_file(df, src / f"{sym}.csv.gz")
        t0 = time.perf_counter()
        columnar.convert(src, src / ".columnar")
        convert_s = time.perf_counter() - t0
        repo = open_repository(f"sqlite:///{tmp}/bench.sqlite3", migrate_schema=True)
        t0 = time.perf_counter()
        inp = from_columnar(src, None, days[0], days[-1])
        t1 = time.perf_counter()
        r = run_replay(StrategyConfig(), inp.bars, inp.start, inp.end, show_progress=False)
        t2 = time.perf_counter()
        record_replay(repo, r)
        t3 = time.perf_counter()
        repo.close()
    total = t3 - t0
    rate = r.symbol_bars / total
    return [
        f"replay end to end, {n} symbols x {SESSIONS} sessions from CSV.gz via the columnar "
        f"store, run stored in SQLite: {r.symbol_bars:,} symbol-bars in {total:.2f} s "
        f"(read {t1 - t0:.2f} s, replay {t2 - t1:.2f} s, store {t3 - t2:.2f} s; "
        f"{len(r.transitions):,} transitions, {len(r.signals):,} signals, {len(r.trades)} trades)",
        f"  end to end {rate:>12,.0f} symbol-bars/s (goal >= 1,500,000: {_ok(rate >= 1.5e6)}); "
        f"one-off conversion of the {n} CSV.gz files: {convert_s:.1f} s",
    ]


def _child(n: int, sessions: int) -> dict[str, float]:
    """One size, in this process: generate, replay (no store), report time and peak RSS."""
    start = date(2025, 3, 3)
    bars = _bars(n, sessions, start)
    days = SyntheticMarket.session_days(start, sessions)
    session_for_config(start, StrategyConfig())  # calendar load is not replay work
    t0 = time.perf_counter()
    r = run_replay(StrategyConfig(), bars, days[0], days[-1], show_progress=False)
    el = time.perf_counter() - t0
    return {"seconds": el, "symbol_bars": r.symbol_bars, "peak_mb": _peak_mb()}


def _peak_mb() -> float:
    """This process's peak RSS. ``ru_maxrss`` survives ``exec``, so a child forked from a
    big parent reports the parent's peak; Linux's ``VmHWM`` starts afresh at ``exec``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _linearity() -> list[str]:
    out = []
    base: float | None = None
    for sessions in LINEAR_SESSIONS:
        cmd = [sys.executable, "-m", "benchmarks.bench_replay", str(LINEAR_SYMBOLS), str(sessions)]
        res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        per = res["seconds"] / sessions
        base = base or per
        out.append(
            f"replay {LINEAR_SYMBOLS} symbols x {sessions:>3} sessions (in memory, no store): "
            f"{res['seconds']:6.2f} s, {per * 1000:6.1f} ms/session (x{per / base:.2f} of the "
            f"{LINEAR_SESSIONS[0]}-session rate), peak RSS {res['peak_mb']:,.0f} MB"
        )
    year_gb = res["peak_mb"] * 500 / LINEAR_SYMBOLS / 1024
    out.append(
        f"  a year of 500 symbols, scaled from the 250-session peak: ~{year_gb:.1f} GB "
        f"(goal < 2 GB: {_ok(year_gb < 2)}; the sessions are not streamed yet)"
    )
    return out


def run() -> list[str]:
    session_for_config(START, StrategyConfig())  # XNYS calendar load (~0.5 s), not replay work
    out = _engine_step(500)
    out += _end_to_end(500)
    out += _linearity()
    return out


if __name__ == "__main__":
    print(json.dumps(_child(int(sys.argv[1]), int(sys.argv[2]))))
