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
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from aws_lambda_powertools.utilities.typing import LambdaContext

from benchmarks._scratch_db import scratch_postgres
from llm_advisor.api.app import app_from_settings
from llm_advisor.api.proxy import proxy_event
from llm_advisor.api.settings import ApiSettings
from llm_advisor.core.calendar import sessions_between
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.models import Advice, AnalysisResult, ThresholdMultipliers
from llm_advisor.storage import open_repository

N_SYMBOLS = 500
TRADES_PER_DAY = 40
RUNS = 150
GOAL_MS = 50.0
NO_CONTEXT = cast(LambdaContext, None)  # the routes read only the event
FIRST, LAST = date(2023, 1, 3), date(2023, 12, 29)


def _symbols() -> list[str]:
    return [f"S{chr(65 + (i // 26) % 26)}{chr(65 + i % 26)}{i}" for i in range(N_SYMBOLS)]


def _load(repo: Any, sessions: list[date], syms: list[str]) -> dict[str, int]:
    rng = random.Random(8)
    bias: list[dict[str, Any]] = []
    signals: list[dict[str, Any]] = []
    trades: list[dict[str, Any]] = []
    for d in sessions:
        o = datetime(d.year, d.month, d.day, 14, 30, tzinfo=UTC)
        for s in syms:
            bias.append({"date": d, "symbol": s, "bias": rng.choice(["bullish", "bearish",
                         "choppy"]), "confidence": round(rng.uniform(30, 90), 1)})  # fmt: skip
            t = o + timedelta(minutes=rng.randint(5, 380))
            signals.append({
                "signal_time": t, "symbol": s, "setup": "MR", "side": "long",
                "status": rng.choice(["accepted", "rejected"]), "reject_reason": "", "z": -2.2,
                "ref_price": Decimal(rng.randint(1000, 50000)) / 100, "atr_5m": 0.3,
                "risk_per_share": 0.45, "stop_price": None, "target_price": None, "qty": 10,
                "equity": Decimal("100000"), "mr_arm_z": 2.0, "mr_trigger_z": 1.5,
                "tc_arm_z": 2.5, "tc_trigger_z": 1.0, "mult_mr_arm": 1.0,
                "mult_mr_trigger": 1.0, "mult_tc_arm": 1.0, "mult_tc_trigger": 1.0,
                "client_order_id": f"stdev-{d:%Y%m%d}-{s}-MR-buy-{t:%H%M}",
            })  # fmt: skip
        for i in range(TRADES_PER_DAY):
            s = rng.choice(syms)
            e = o + timedelta(minutes=2 + i * 9)
            px = Decimal(rng.randint(1000, 50000)) / 100
            q = rng.randint(1, 300)
            xp = max(px + Decimal(rng.randint(-150, 150)) / 100, Decimal("0.01"))
            trades.append({
                "symbol": s, "setup": "MR", "side": "long", "signal_time": e - timedelta(minutes=1),
                "entry_time": e, "entry_price": px, "exit_time": e + timedelta(minutes=7),
                "exit_price": xp, "qty": q, "exit_reason": "target" if xp > px else "stop",
                "pnl": (xp - px) * q, "commission": Decimal("0.35"),
                "client_order_id": f"stdev-{d:%Y%m%d}-{s}-MR-buy-{i}",
            })  # fmt: skip
    repo.save_daily_bias(bias)
    repo.save_signals(signals)
    repo.save_trades(trades)
    n_analyses = 0
    for d in sessions:
        for k in range(26):
            ts = datetime(d.year, d.month, d.day, 14, 30, tzinfo=UTC) + timedelta(minutes=15 * k)
            m = ThresholdMultipliers(mr_arm=1.1, mr_trigger=1.0, tc_arm=0.9, tc_trigger=1.0)
            repo.save_market_analysis(
                ts, d, "rules", None,
                AnalysisResult(market_assessment="choppy", confidence=55, reasoning="bench",
                               threshold_multipliers=m),
                Advice(as_of=ts, multipliers=m),
            )  # fmt: skip
            n_analyses += 1
    last = sessions[-1]
    for s in syms[:10]:
        repo.upsert_position(
            {"symbol": s, "side": "long", "qty": 10, "entry_price": Decimal("100.00"),
             "entry_time": datetime(last.year, last.month, last.day, 15, tzinfo=UTC),
             "stop_price": 99.0, "target_price": 102.0, "client_order_id": f"pos-{s}",
             "setup": "MR", "mark_price": Decimal("100.50")},
            at=datetime(last.year, last.month, last.day, 16, tzinfo=UTC),
        )  # fmt: skip
    repo.save_equity_snapshots([(datetime(2023, 1, 2, 21, tzinfo=UTC), Decimal("100000"))])
    return {"daily_bias": len(bias), "signals": len(signals), "trades": len(trades),
            "market_analysis": n_analyses}  # fmt: skip


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
    syms = _symbols()
    sessions = sessions_between(FIRST, LAST)
    try:
        t0 = time.perf_counter()
        counts = _load(repo, sessions, syms)
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
