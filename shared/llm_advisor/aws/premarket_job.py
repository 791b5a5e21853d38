"""The deployment's premarket job: fetch bars, news and the VIX, run the premarket
pipeline, persist, archive.

The pipeline itself (``llm_advisor.premarket.pipeline``) is pure; this wires it to the
market data port, the news source (Alpaca's news API), the VIX source (CBOE's CSV, with
SPY's realised volatility as the fallback), the repository and the object store. The Step
Functions workflow runs the same pieces step by step (``plan`` -> ``snapshot`` per symbol
-> ``persist``), so a symbol that fails is retried alone; the plan step gathers the VIX
once and hands it to the others, so every part of the context uses the same figure.
Neither news nor the VIX can stop the job: a failure leaves them out, with a note.
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
from llm_advisor.core.errors import AdvisorError
from llm_advisor.core.ports import MarketDataPort, ObjectStorePort

MARKET_NEWS_SYMBOLS = ("SPY", "QQQ")  # market-wide news: the broad-index ETFs' headlines


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
    news: Any = None  # premarket.news.ports.NewsSourcePort; None: no news
    vix_source: Any = None  # premarket.volatility.CsvVixSource; None: straight to fallback
    writer: Any = None  # premarket.narrative.ContextWriterPort; None: the headline digest


def _history_start(day: date, sessions: int) -> datetime:
    d = day
    for _ in range(sessions):
        d = previous_session(d)
    return make_session(d).open - timedelta(hours=6)  # premarket bars of that day too


def _fetch_news(
    deps: PremarketJobDeps, symbols: Sequence[str], start: datetime, end: datetime
) -> tuple[list[Any], str]:
    """Items about ``symbols`` in [start, end), or none and why (news never stops the job)."""
    if deps.news is None or not symbols:
        return [], "" if deps.news is not None else "no news source (no Alpaca keys)"
    try:
        return list(deps.news.fetch(list(symbols), start, end)), ""
    except AdvisorError as exc:
        return [], f"news for {','.join(symbols)}: {exc}"


def _daily_bars(day: date, deps: PremarketJobDeps, wanted: list[str]) -> dict[str, pd.DataFrame]:
    lo = datetime.combine(day - timedelta(days=deps.daily_days), datetime.min.time(), UTC)
    hi = datetime.combine(day, datetime.min.time(), NY).astimezone(UTC)
    return dict(deps.market_data.get_bars(wanted, lo, hi, "1Day").items())


def gather_volatility_for(
    day: date,
    deps: PremarketJobDeps,
    daily: dict[str, pd.DataFrame] | None = None,
    spy_minutes: pd.DataFrame | None = None,
) -> Any:
    """The VIX figure of ``day``: the index source, else SPY's realised volatility from the
    daily bars (fetched here when not given, or aggregated from 1-minute bars)."""
    from llm_advisor.premarket.pipeline import daily_from_minutes
    from llm_advisor.premarket.volatility import gather_volatility

    spy = (daily or {}).get("SPY")
    if (spy is None or spy.empty) and deps.use_daily and daily is None:
        spy = _daily_bars(day, deps, ["SPY"]).get("SPY")
    if (spy is None or spy.empty) and spy_minutes is not None and not spy_minutes.empty:
        spy = daily_from_minutes(spy_minutes)
    return gather_volatility(day, deps.vix_source, spy)


def build_context(
    day: date,
    deps: PremarketJobDeps,
    symbols: Sequence[str] | None = None,
    *,
    volatility: Any = None,
    market: bool = True,
) -> Any:
    """The premarket context of ``day`` for ``symbols`` (default: the watchlist).

    ``volatility``: the figure the plan step gathered (else gathered here); ``market=False``
    skips the market's news (a per-symbol step whose market part is thrown away)."""
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
    bars = {s: f for s, f in bars.items() if not f.empty}
    daily = _daily_bars(day, deps, wanted) if deps.use_daily else None
    if volatility is None:
        spy_min = bars.get("SPY")
        cut = spy_min.loc[spy_min.index < pd.Timestamp(run_time)] if spy_min is not None else None
        volatility = gather_volatility_for(day, deps, daily or {}, cut)
    start = run_time - timedelta(hours=cfg.news_lookback_hours)
    news, why = _fetch_news(deps, syms, start, run_time)
    market_news, why_m = _fetch_news(deps, MARKET_NEWS_SYMBOLS if market else (), start, run_time)
    ctx = build_premarket_context(
        day,
        syms,
        bars,
        daily,
        news,
        deps.bias_model,
        cfg,
        writer=deps.writer,
        volatility=volatility,
        market_news=market_news,
    )
    note = "; ".join(dict.fromkeys(n for n in (why, why_m if market else "") if n))
    if note:
        mc = ctx.market_context.model_copy(update={"news_note": note})
        ctx = ctx.model_copy(update={"market_context": mc})
    return ctx


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
        "news_items": ctx.market_context.news_count
        + sum(sc.news_count for sc in ctx.symbols.values()),
        "vix": ctx.market_context.vix_close,
        "vix_source": ctx.market_context.vix_source,
    }


# ---------------------------------------------------------------- step-function steps
def step_plan(day: date, deps: PremarketJobDeps) -> dict[str, Any]:
    """The day's symbols and its VIX figure (gathered once, for every later step)."""
    open_day = is_session(day)
    return {
        "session_date": day.isoformat(),
        "is_session": open_day,
        "symbols": list(deps.symbols) if open_day else [],
        "volatility": gather_volatility_for(day, deps).to_json() if open_day else None,
    }


def step_snapshot(
    day: date, symbol: str, deps: PremarketJobDeps, volatility: Any = None
) -> dict[str, Any]:
    """One symbol's part of the context, as JSON-safe data for the Map state."""
    ctx = build_context(day, deps, [symbol], volatility=volatility, market=False)
    part = ctx.symbols.get(symbol)
    return {
        "symbol": symbol,
        "context": None if part is None else part.model_dump(mode="json"),
        "excluded": ctx.excluded.get(symbol),
    }


def step_persist(
    day: date, parts: Sequence[dict[str, Any]], deps: PremarketJobDeps, volatility: Any = None
) -> dict[str, Any]:
    """Merge the per-symbol parts into one context, save it, and hand S3 its body."""
    from llm_advisor.premarket.context import PremarketContext, SymbolContext

    market = build_context(day, deps, [], volatility=volatility)
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
