"""Storage figures: storing a replay run, transition insert rate and portfolio query
latency, on both engines.

Run: ``make bench`` (or ``LLM_ADVISOR_PG_URL=$(bash scripts/pg.sh url) python -m
benchmarks storage``; ``python -m benchmarks.bench_storage record`` for the replay run
alone). Without ``LLM_ADVISOR_PG_URL`` only SQLite is measured.
Goals: ``record_replay`` of the 500-symbol x 20-session run of issue 15's end-to-end figure
(~112k transitions, ~21k signals) in <= 0.5 s; (issue 3) >= 50k transition rows/s; p99
<= 20 ms per query over one year of 500-symbol history.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks._history import N_SYMBOLS, load_history, symbols
from benchmarks._scratch_db import scratch_postgres
from llm_advisor.core.calendar import sessions_between
from llm_advisor.core.clock import ManualClock
from llm_advisor.storage import Repository, open_repository
from llm_advisor.storage.replay_store import record_replay

TRANSITION_ROWS = 200_000
BATCH = 10_000
QUERY_RUNS = 200


class _Tr(NamedTuple):  # the engine's TransitionRow shape
    timestamp: datetime
    symbol: str
    old_state: str
    new_state: str
    z: float | None
    mr_arm_z: float
    mr_trigger_z: float
    tc_arm_z: float
    tc_trigger_z: float
    reason: str


def _insert_rate(repo: Repository, syms: list[str]) -> float:
    base = datetime(2023, 6, 1, 14, 30, tzinfo=UTC)
    rows = [
        _Tr(
            base + timedelta(minutes=i // N_SYMBOLS),
            syms[i % N_SYMBOLS],
            "idle",
            "mr_armed",
            -2.1,
            2.0,
            1.5,
            2.5,
            1.0,
            "arm",
        )
        for i in range(TRANSITION_ROWS)
    ]
    t0 = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        repo.save_transitions(rows[i : i + BATCH], run_id="bench")  # type: ignore[arg-type]
    return len(rows) / (time.perf_counter() - t0)


def _p(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _queries(
    repo: Repository, sessions: list[date], syms: list[str]
) -> list[tuple[str, Callable[[random.Random], Any]]]:
    def day(r: random.Random) -> date:
        return r.choice(sessions)

    def month(r: random.Random) -> tuple[date, date]:
        i = r.randrange(len(sessions) - 21)
        return sessions[i], sessions[i + 20]

    return [
        ("daily_bias(day)", lambda r: repo.daily_bias(day(r))),
        ("daily_bias(day, symbol)", lambda r: repo.daily_bias(day(r), r.choice(syms))),
        ("trades(month, page 100)", lambda r: repo.trades(*month(r), limit=100)),
        ("trades(year, symbol)", lambda r: repo.trades(sessions[0], sessions[-1], r.choice(syms))),
        ("pnl(month)", lambda r: repo.pnl(*month(r))),
        ("pnl(year)", lambda r: repo.pnl(sessions[0], sessions[-1])),
        ("open_positions()", lambda r: repo.open_positions()),
        ("latest_analysis(at)", lambda r: repo.latest_analysis(
            datetime.combine(day(r), datetime.min.time(), UTC) + timedelta(hours=17))),
        ("signals(day, page 100)", lambda r: repo.signals(d := day(r), d, limit=100)),
        ("signals(month, symbol)", lambda r: repo.signals(*month(r), symbol=r.choice(syms))),
    ]  # fmt: skip


_EXPLAIN: dict[str, tuple[str, Callable[[list[date], list[str]], tuple[Any, ...]] | None]] = {
    "trades(year, symbol)": (
        "SELECT id FROM trades WHERE session_date >= ? AND session_date <= ? AND symbol = ? "
        "ORDER BY session_date, entry_time, symbol, id LIMIT 100",
        lambda s, y: (s[0], s[-1], y[7]),
    ),
    "signals(day, page 100)": (
        "SELECT id FROM trade_signals WHERE session_date >= ? AND session_date <= ? "
        "ORDER BY session_date, signal_time, symbol, id LIMIT 100",
        lambda s, y: (s[100], s[100]),
    ),
    "latest_analysis(at)": (
        "SELECT id FROM market_analysis WHERE timestamp <= ? "
        "ORDER BY timestamp DESC, id DESC LIMIT 1",
        None,
    ),
    "daily_bias(day, symbol)": (
        "SELECT bias FROM daily_bias WHERE date = ? AND symbol = ?",
        lambda s, y: (s[5], y[3]),
    ),
    "daily_bias(day)": (
        "SELECT date, symbol, bias, confidence, htf_bias, news_summary, model_version "
        "FROM daily_bias WHERE date = ? ORDER BY symbol",
        lambda s, y: (s[5],),
    ),
    "pnl(year)": (
        "SELECT session_date, realized, fees, trades, wins, last_exit, max_cum, min_cum, max_dd "
        "FROM daily_pnl_all WHERE session_date >= ? AND session_date <= ? ORDER BY session_date",
        lambda s, y: (s[0], s[-1]),
    ),
}


def _explain(repo: Repository, sessions: list[date], syms: list[str]) -> list[str]:
    out = []
    k = repo.codec
    at = k.ts(datetime(2023, 6, 1, 17, 0, tzinfo=UTC))
    for name, (sql, params) in _EXPLAIN.items():
        p = (
            tuple(k.day(x) if isinstance(x, date) else x for x in params(sessions, syms))
            if params
            else (at,)
        )
        prefix = "EXPLAIN (COSTS OFF) " if repo.engine == "postgres" else "EXPLAIN QUERY PLAN "
        with repo.db.transaction() as cur:
            cur.execute(prefix + sql, p)
            rows = cur.fetchall()
        plan = [str(r[0] if repo.engine == "postgres" else r[-1]).strip() for r in rows]
        out.append(f"    {name}: " + " | ".join(plan))
    return out


def _trade_write(repo: Repository, sessions: list[date], rng: random.Random) -> str:
    """What the P/L rollup costs the write side: one live trade re-reads its day."""
    times = []
    for i in range(50):
        d = rng.choice(sessions)
        e = datetime(d.year, d.month, d.day, 15, 0, tzinfo=UTC) + timedelta(minutes=i)
        trade = {
            "symbol": "SPY", "setup": "MR", "side": "long", "signal_time": e, "entry_time": e,
            "entry_price": Decimal("100"), "exit_time": e + timedelta(minutes=5),
            "exit_price": Decimal("101"), "qty": 10, "exit_reason": "target",
            "pnl": Decimal("10"), "client_order_id": f"w-{i}", "commission": Decimal(0),
        }  # fmt: skip
        t = time.perf_counter()
        repo.save_trades([trade], run_id="live")
        times.append((time.perf_counter() - t) * 1000)
    return (
        f"  {'save_trades(1 trade)':26} p50 {_p(times, 0.5):6.2f} ms  p99 {_p(times, 0.99):6.2f} ms"
        "  (incl. the day's rollup refresh)"
    )


def _bench_engine(label: str, url: str) -> list[str]:
    repo = open_repository(url)
    repo.migrate()
    lines = [f"storage [{label}]"]
    try:
        syms = symbols()
        sessions = sessions_between(date(2023, 1, 3), date(2023, 12, 29))
        t0 = time.perf_counter()
        counts = load_history(repo, sessions, syms)
        load_s = time.perf_counter() - t0
        rate = _insert_rate(repo, syms)
        with repo.db.transaction() as cur:
            cur.execute("ANALYZE")
        lines.append(
            f"  history: {len(sessions)} sessions x {N_SYMBOLS} symbols "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())
            + f" (loaded in {load_s:.1f} s)"
        )
        ok = "ok" if rate >= 50_000 else "BELOW GOAL"
        lines.append(
            f"  insert live_loop_logs: {rate:,.0f} rows/s ({TRANSITION_ROWS:,} rows, "
            f"batches of {BATCH:,}; goal >= 50,000: {ok})"
        )
        rng = random.Random(5)
        for name, fn in _queries(repo, sessions, syms):
            fn(rng)  # warm
            times = []
            for _ in range(QUERY_RUNS):
                t = time.perf_counter()
                fn(rng)
                times.append((time.perf_counter() - t) * 1000)
            p99 = _p(times, 0.99)
            flag = "ok" if p99 <= 20 else "ABOVE GOAL"
            lines.append(f"  {name:26} p50 {_p(times, 0.5):6.2f} ms  p99 {p99:6.2f} ms  ({flag})")
        lines.append(_trade_write(repo, sessions, rng))
        lines.append("  plans:")
        lines += _explain(repo, sessions, syms)
    finally:
        repo.close()
    return lines


def _replay_run() -> Any:
    """The run of ``bench_replay``'s end-to-end figure (500 symbols x 20 sessions)."""
    from benchmarks.bench_replay import SESSIONS, START, _bars
    from llm_advisor.core.config import StrategyConfig
    from llm_advisor.data.synthetic import SyntheticMarket
    from llm_advisor.replay.runner import run_replay

    days = SyntheticMarket.session_days(START, SESSIONS)
    return run_replay(StrategyConfig(), _bars(500), days[0], days[-1], show_progress=False)


def _record(label: str, urls: list[str], result: Any) -> str:
    """Best of ``len(urls)`` stores into an empty database, and of as many re-recordings
    (the same run again: delete and insert, one transaction)."""
    clock = ManualClock(datetime(2026, 3, 2, tzinfo=UTC))
    fresh: list[tuple[float, float]] = []
    again: list[tuple[float, float]] = []
    for url in urls:
        repo = open_repository(url, migrate_schema=True)
        try:
            for out in (fresh, again):
                t0, c0 = time.perf_counter(), time.process_time()
                record_replay(repo, result, clock)
                out.append((time.perf_counter() - t0, time.process_time() - c0))
        finally:
            repo.close()
    (f_wall, f_cpu), (a_wall, a_cpu) = min(fresh), min(again)
    ok = "ok" if f_wall <= 0.5 else "NOT met"
    # this process's CPU time beside the wall time: on a busy machine the two part ways
    return (
        f"  record_replay [{label}]: {f_wall:.2f} s into an empty database (cpu {f_cpu:.2f} "
        f"s; goal <= 0.5 s: {ok}), {a_wall:.2f} s re-recorded over itself (cpu {a_cpu:.2f} "
        f"s; best of {len(urls)})"
    )


def record_figures() -> list[str]:
    result = _replay_run()
    lines = [
        f"replay run stored: {len(result.transitions):,} transitions, "
        f"{len(result.signals):,} signals, {len(result.trades):,} trades, "
        f"{len(result.fills):,} fills, {len(result.plans):,} plans"
    ]
    with tempfile.TemporaryDirectory() as tmp:
        urls = [f"sqlite:///{Path(tmp) / f'run{i}.sqlite3'}" for i in range(3)]
        lines.append(_record("sqlite", urls, result))
    with scratch_postgres("bench_record") as url:
        if url is None:
            return [*lines, "  record_replay [postgres]: skipped (LLM_ADVISOR_PG_URL not set)"]
        lines.append(_record("postgres", [url], result))
    return lines


def run() -> list[str]:
    lines = record_figures()
    with tempfile.TemporaryDirectory() as tmp:
        lines += _bench_engine("sqlite", f"sqlite:///{Path(tmp) / 'storage.sqlite3'}")
    with scratch_postgres("bench_storage") as url:
        if url is None:
            return [*lines, "storage [postgres]: skipped (LLM_ADVISOR_PG_URL not set)"]
        lines += _bench_engine("postgres", url)
    return lines


if __name__ == "__main__":
    print("\n".join(record_figures() if sys.argv[1:] == ["record"] else run()))
