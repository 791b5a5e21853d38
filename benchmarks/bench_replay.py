"""Replay throughput (symbol-bars/s) at 5, 50 and 500 symbols over 20 synthetic sessions,
and the engine's per-bar decision time for 500 symbols.

Goals (issue 2): >= 1,000,000 symbol-bars/s at 500 symbols on one core, <= 1 ms per bar.
"Replay" here is everything ``run_replay`` does after the bars are in memory: premarket
snapshots for every session, seeding, the minute grid, the engine, the simulated broker.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np

from llm_advisor.core.config import StrategyConfig
from llm_advisor.data.synthetic import SyntheticMarket
from llm_advisor.features.snapshot import build_snapshots
from llm_advisor.live.bars import MinuteBars
from llm_advisor.live.engine import Engine, session_for_config
from llm_advisor.replay.runner import run_replay

START = date(2026, 2, 2)
SESSIONS = 20
HISTORY = 10


def _bars(n: int) -> dict[str, object]:
    syms = [f"S{i:03d}" for i in range(n)]
    return SyntheticMarket(11).minute_bars(
        syms, date(2026, 1, 16), HISTORY + SESSIONS, premarket=False
    )


def _throughput(n: int) -> str:
    bars = _bars(n)
    days = SyntheticMarket.session_days(START, SESSIONS)
    cfg = StrategyConfig()
    t0 = time.perf_counter()
    r = run_replay(cfg, bars, days[0], days[-1], show_progress=False)  # type: ignore[arg-type]
    el = time.perf_counter() - t0
    return (
        f"replay {n:>3} symbols x {SESSIONS} sessions: {r.symbol_bars:>9,} symbol-bars in "
        f"{el:6.2f} s = {r.symbol_bars / el:>12,.0f} symbol-bars/s "
        f"({len(r.trades)} trades, {len(r.signals)} signals, {len(r.transitions)} transitions)"
    )


def _per_bar(n: int = 500) -> list[str]:
    bars = _bars(n)
    days = SyntheticMarket.session_days(START, SESSIONS)
    cfg = StrategyConfig()
    syms = sorted(bars)
    eng = Engine(cfg, syms)
    times: list[float] = []
    snaps = {s: build_snapshots(s, bars[s], days, cfg) for s in syms}  # type: ignore[arg-type]
    for day in days[:5]:
        sess = session_for_config(day, cfg)
        grid = np.full((5, sess.minutes, n), np.nan)
        seeds = {}
        for j, s in enumerate(syms):
            df = bars[s]
            idx = df.index  # type: ignore[attr-defined]
            before = df[idx < sess.open]  # type: ignore[index]
            seeds[s] = before["close"].to_numpy()[-cfg.rolling_window :]
            day_df = df[(idx >= sess.open) & (idx < sess.close)]  # type: ignore[index]
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
    return [
        f"engine step, {n} symbols ({a.size} bars): mean {a.mean():.3f} ms, p50 "
        f"{np.percentile(a, 50):.3f} ms, p99 {np.percentile(a, 99):.3f} ms, max {a.max():.3f} ms "
        f"-> {n / (a.mean() / 1000):,.0f} symbol-bars/s in the engine alone"
    ]


def run() -> list[str]:
    # One-time process start-up (loading the XNYS calendar, ~0.5 s) is not replay work.
    session_for_config(START, StrategyConfig())
    out = [_throughput(n) for n in (5, 50, 500)]
    out += _per_bar(500)
    return out
