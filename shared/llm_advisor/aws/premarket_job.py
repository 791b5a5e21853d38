"""The deployment's premarket job: fetch bars, run the premarket pipeline, persist, archive.

The pipeline itself (``llm_advisor.premarket.pipeline``) is pure; this wires it to the
market data port, the repository and the object store. The Step Functions workflow runs the
same pieces step by step (``plan`` -> ``snapshot`` per symbol -> ``persist``), so a symbol
that fails is retried alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from llm_advisor.core.calendar import NY, is_session, make_session, previous_session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.ports import MarketDataPort, ObjectStorePort


@dataclass
class PremarketJobDeps:
    config: StrategyConfig
    symbols: Sequence[str]
    market_data: MarketDataPort
    archive: ObjectStorePort
    records: Any  # llm_advisor.premarket.writers.PremarketRepository
    minute_sessions: int = 10  # sessions of 1-minute bars fetched (bands need ~2)
    daily_days: int = 400  # calendar days of daily bars (ATR percentile needs 252 + 14)
    use_daily: bool = True  # False: daily bars are aggregated from the 1-minute bars
    bias_model: Any = None


def _history_start(day: date, sessions: int) -> datetime:
    d = day
    for _ in range(sessions):
        d = previous_session(d)
    return make_session(d).open - timedelta(hours=6)  # premarket bars of that day too


def build_context(day: date, deps: PremarketJobDeps, symbols: Sequence[str] | None = None) -> Any:
    """The premarket context of ``day`` for ``symbols`` (default: the watchlist)."""
    from llm_advisor.premarket.pipeline import (
        PremarketConfig,
        build_premarket_context,
        run_time_for,
    )

    syms = list(symbols if symbols is not None else deps.symbols)
    cfg = PremarketConfig(strategy=deps.config)
    run_time = run_time_for(day, cfg)
    wanted = sorted({*syms, "SPY"})
    bars = deps.market_data.get_bars(
        wanted, _history_start(day, deps.minute_sessions), run_time, "1Min"
    )
    daily: dict[str, pd.DataFrame] | None = None
    if deps.use_daily:
        lo = datetime.combine(day - timedelta(days=deps.daily_days), datetime.min.time(), UTC)
        hi = datetime.combine(day, datetime.min.time(), NY).astimezone(UTC)
        daily = {s: f for s, f in deps.market_data.get_bars(wanted, lo, hi, "1Day").items()}
    return build_premarket_context(
        day, syms, {s: f for s, f in bars.items() if not f.empty}, daily, [], deps.bias_model, cfg
    )


def persist_context(ctx: Any, deps: PremarketJobDeps) -> str:
    """Database rows (idempotent per date) and the archived document; returns its key."""
    from llm_advisor.premarket.writers import put_context, save_context

    save_context(deps.records, ctx)
    return put_context(deps.archive, ctx)


def run_premarket_job(day: date, deps: PremarketJobDeps) -> dict[str, Any]:
    if not is_session(day):
        return {"status": "closed", "session_date": day.isoformat()}
    ctx = build_context(day, deps)
    key = persist_context(ctx, deps)
    return {
        "status": "written",
        "session_date": day.isoformat(),
        "archive_key": key,
        "symbols": sorted(ctx.symbols),
        "excluded": dict(ctx.excluded),
    }


# ---------------------------------------------------------------- step-function steps
def step_plan(day: date, deps: PremarketJobDeps) -> dict[str, Any]:
    return {
        "session_date": day.isoformat(),
        "is_session": is_session(day),
        "symbols": list(deps.symbols) if is_session(day) else [],
    }


def step_snapshot(day: date, symbol: str, deps: PremarketJobDeps) -> dict[str, Any]:
    """One symbol's part of the context, as JSON-safe data for the Map state."""
    ctx = build_context(day, deps, [symbol])
    part = ctx.symbols.get(symbol)
    return {
        "symbol": symbol,
        "context": None if part is None else part.model_dump(mode="json"),
        "excluded": ctx.excluded.get(symbol),
    }


def step_persist(
    day: date, parts: Sequence[dict[str, Any]], deps: PremarketJobDeps
) -> dict[str, Any]:
    """Merge the per-symbol parts into one context, save it, and hand S3 its body."""
    from llm_advisor.premarket.context import PremarketContext, SymbolContext

    market = build_context(day, deps, [])
    symbols = {
        p["symbol"]: SymbolContext.model_validate(p["context"]) for p in parts if p.get("context")
    }
    excluded = {p["symbol"]: str(p["excluded"]) for p in parts if p.get("excluded")}
    ctx = PremarketContext.model_validate(
        {**market.model_dump(), "symbols": symbols, "excluded": excluded}
    )
    from llm_advisor.premarket.writers import object_key, save_context

    save_context(deps.records, ctx)
    return {"archive_key": object_key(day), "context_json": ctx.to_json_bytes().decode()}


def session_day(ts: datetime) -> date:
    return ts.astimezone(NY).date()


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=str)
