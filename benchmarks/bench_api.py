"""Portfolio API latency in-process: API Gateway proxy events through the Lambda's resolver.

One year (252 sessions) of 500-symbol history is written through the storage repository's
bulk writes, then each endpoint is called with varied parameters and p50/p99 reported.
The figure includes routing, validation, the query and JSON serialization: everything the
function does except API Gateway's own hop. Goal (issue 8): p99 <= 50 ms per endpoint.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from aws_lambda_powertools.utilities.typing import LambdaContext

from benchmarks._history import N_SYMBOLS, load_history, symbols
from benchmarks._scratch_db import scratch_postgres
from llm_advisor.api.app import app_from_settings
from llm_advisor.api.proxy import proxy_event
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.calendar import sessions_between
from llm_advisor.core.clock import ManualClock
from llm_advisor.storage import open_repository

RUNS = 150
GOAL_MS = 50.0
NO_CONTEXT = cast(LambdaContext, None)  # the routes read only the event
FIRST, LAST = date(2023, 1, 3), date(2023, 12, 29)


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def _cases(
    sessions: list[date], syms: list[str]
) -> list[tuple[str, Callable[[random.Random], str]]]:
    def day(r: random.Random) -> date:
        return r.choice(sessions)

    def month(r: random.Random) -> str:
        d = day(r)
        return f"start_date={d - timedelta(days=30)}&end_date={d}"

    def q(**kw: Any) -> str:
        return urlencode(kw)

    def trades_page(r: random.Random) -> str:
        return f"/api/trades?{month(r)}&limit=100&offset={r.randint(0, 700)}"

    def at_time(r: random.Random) -> str:
        ts = datetime.combine(day(r), datetime.min.time(), UTC).replace(hour=17)
        return "/api/market-analysis?" + q(timestamp=ts.isoformat())  # '+' must be %2B

    def signals_day(r: random.Random) -> str:
        d = day(r)
        return "/api/signals?" + q(start_date=d, end_date=d, symbol=r.choice(syms))

    year = f"start_date={FIRST}&end_date={LAST}"
    return [
        ("health", lambda r: "/api/health"),
        ("daily-bias (today, all 500)", lambda r: "/api/daily-bias"),
        ("daily-bias (date, symbol)",
         lambda r: "/api/daily-bias?" + q(date=day(r), symbol=r.choice(syms))),
        ("trades (default 30 d, page 1)", lambda r: "/api/trades"),
        ("trades (month, deep page)", trades_page),
        ("trades (year, symbol)", lambda r: f"/api/trades?{year}&symbol={r.choice(syms)}"),
        ("pnl (year)", lambda r: f"/api/pnl?{year}"),
        ("pnl (month)", lambda r: f"/api/pnl?{month(r)}"),
        ("positions", lambda r: "/api/positions"),
        ("market-analysis (latest)", lambda r: "/api/market-analysis"),
        ("market-analysis (at time)", at_time),
        ("signals (default 7 d, 100)", lambda r: "/api/signals"),
        ("signals (day, symbol)", signals_day),
    ]  # fmt: skip


def _bench(label: str, url: str) -> list[str]:
    repo = open_repository(url, migrate_schema=True)
    syms = symbols()
    sessions = sessions_between(FIRST, LAST)
    try:
        t0 = time.perf_counter()
        counts = load_history(repo, sessions, syms)
        load_s = time.perf_counter() - t0
        with repo.db.transaction() as cur:
            cur.execute("ANALYZE")
    finally:
        repo.close()
    clock = ManualClock(datetime(2023, 12, 29, 21, 0, tzinfo=UTC))
    app = app_from_settings(ApiSettings(db_url=url, cors_origins=()), clock=clock)
    lines = [
        f"api [{label}]: {len(sessions)} sessions x {N_SYMBOLS} symbols, "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + f" (loaded in {load_s:.1f} s); {RUNS} calls each, through proxy events"
    ]
    rng = random.Random(3)
    worst = 0.0
    for name, target in _cases(sessions, syms):
        status = app.resolve(proxy_event("GET", target(rng)), NO_CONTEXT)["statusCode"]  # warm
        if status != 200:
            lines.append(f"  {name:31} HTTP {status} (expected 200)")
            continue
        times = []
        for _ in range(RUNS):
            event = proxy_event("GET", target(rng))
            t = time.perf_counter()
            app.resolve(event, NO_CONTEXT)
            times.append((time.perf_counter() - t) * 1000)
        p99 = _pct(times, 0.99)
        worst = max(worst, p99)
        flag = "ok" if p99 <= GOAL_MS else "ABOVE GOAL"
        lines.append(f"  {name:31} p50 {_pct(times, 0.5):6.2f} ms  p99 {p99:6.2f} ms  ({flag})")
    lines.append(f"  worst p99 {worst:.2f} ms (goal <= {GOAL_MS:.0f} ms)")
    return lines


def run() -> list[str]:
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        lines += _bench("sqlite", f"sqlite:///{Path(tmp) / 'api.sqlite3'}")
    with scratch_postgres("bench_api") as url:
        if url is None:
            return [*lines, "api [postgres]: skipped (LLM_ADVISOR_PG_URL not set)"]
        lines += _bench("postgres", url)
    return lines
