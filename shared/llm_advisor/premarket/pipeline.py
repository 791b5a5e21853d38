"""The premarket step for one session: pure (no files, no database, no clock).

Everything it reads is cut at the run time first: 1-minute bars must be complete by then
(start + 1 minute <= run time), daily rows must be dated before the session, news must be
published strictly before the run time. The leakage test changes everything after the run
time and expects identical output; the cut here is what guarantees it, whatever the callee
functions do. A symbol whose data is missing, stale or malformed is excluded with the reason
and the others proceed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from llm_advisor.core.calendar import NY, is_session, make_session, previous_session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import AdvisorError, UserError
from llm_advisor.core.models import Snapshot
from llm_advisor.premarket.bias.model import BiasModel
from llm_advisor.premarket.bias.predict import BiasUnavailableError, predict_bias
from llm_advisor.premarket.context import BiasView, MarketContext, PremarketContext, SymbolContext
from llm_advisor.premarket.narrative import ContextWriterPort, DigestWriter
from llm_advisor.premarket.news.models import NewsItem
from llm_advisor.premarket.news.ports import NewsSummarizerPort
from llm_advisor.premarket.news.select import select_news
from llm_advisor.premarket.news.summarize import RulesNewsSummarizer
from llm_advisor.premarket.volatility import Volatility, volatility_from_daily

SnapshotFn = Callable[..., dict[date, Snapshot]]
SeedFn = Callable[..., npt.NDArray[np.float64]]
ONE_MINUTE = pd.Timedelta(minutes=1)


class MarketClosedError(UserError):
    """The date is a weekend or an XNYS holiday: there is no session to prepare."""


class PremarketConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: StrategyConfig = StrategyConfig()
    run_time: time = Field(time(9, 0), description="America/New_York wall time of the run")
    news_lookback_hours: float = Field(72.0, gt=0, le=24 * 30)
    max_news_items: int = Field(10, ge=0, le=100)
    max_bar_age_sessions: int = Field(
        5, ge=1, le=60, description="exclude a symbol whose last 1-minute bar is older"
    )


def run_time_for(day: date, config: PremarketConfig) -> datetime:
    return datetime.combine(day, config.run_time, tzinfo=NY).astimezone(UTC)


def _check_bars(df: pd.DataFrame) -> None:
    """Reasons a frame cannot be used, raised as ValueError (the exclusion reason)."""
    if not isinstance(df.index, pd.DatetimeIndex) or df.index.tz is None:
        raise ValueError("bars need a timezone-aware DatetimeIndex")
    missing = [c for c in ("open", "high", "low", "close", "volume") if c not in df.columns]
    if missing:
        raise ValueError(f"bars lack column(s) {', '.join(missing)}")
    if not df.index.is_monotonic_increasing or df.index.has_duplicates:
        raise ValueError("bar timestamps are not strictly increasing")
    px = df[["open", "high", "low", "close"]].to_numpy(np.float64)
    if not np.all(np.isfinite(px)) or np.any(px <= 0):
        bad = df.index[~(np.isfinite(px).all(axis=1) & (px > 0).all(axis=1))][0]
        raise ValueError(f"non-positive or missing price at {bad.isoformat()}")
    if np.any(df["high"].to_numpy() < df["low"].to_numpy()):
        bad = df.index[df["high"].to_numpy() < df["low"].to_numpy()][0]
        raise ValueError(f"high < low at {bad.isoformat()}")


def _cut_bars(df: pd.DataFrame, run_time: datetime) -> pd.DataFrame:
    if not isinstance(df.index, pd.DatetimeIndex):
        raise ValueError("bars need a DatetimeIndex")
    return df.loc[df.index + ONE_MINUTE <= pd.Timestamp(run_time)]


def _cut_daily(df: pd.DataFrame | None, day: date) -> pd.DataFrame | None:
    if df is None:
        return None
    idx = pd.DatetimeIndex(pd.to_datetime(df.index))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    out = df.loc[idx.normalize() < pd.Timestamp(day)]
    return out if len(out) else None


def daily_from_minutes(df: pd.DataFrame) -> pd.DataFrame:
    """Regular-session daily bars from 1-minute bars (first open, max high, min low, last
    close, summed volume), indexed by session date (the spec's fallback without a file)."""
    from llm_advisor.features.aggregate import aggregate, regular_session

    agg = aggregate(regular_session(df), None)
    idx = pd.DatetimeIndex(
        [pd.Timestamp(date.fromordinal(int(o))) for o in agg.session_day], name="date"
    )
    return pd.DataFrame(
        {
            "open": agg.open,
            "high": agg.high,
            "low": agg.low,
            "close": agg.close,
            "volume": agg.volume,
        },
        index=idx,
    )


def _default_fns() -> tuple[SnapshotFn, SeedFn]:
    from llm_advisor.features.snapshot import build_snapshots, seed_closes

    return build_snapshots, seed_closes


def _bias_view(
    model: BiasModel | None,
    day: date,
    prev: date,
    sym_daily: pd.DataFrame | None,
    spy: pd.DataFrame | None,
    vix: pd.DataFrame | None,
) -> BiasView:
    if model is None:
        return BiasView(note="no bias model loaded")
    if sym_daily is None or sym_daily.empty:
        return BiasView(model_version=model.version, note="no daily bars before the session")
    try:
        p = predict_bias(model, day, prev, sym_daily, spy, vix)
    except BiasUnavailableError as exc:
        return BiasView(model_version=model.version, note=str(exc))
    return BiasView(
        bias=p.bias,
        confidence=p.confidence,
        probabilities=p.probabilities,
        model_version=model.version,
    )


def _pct(a: float, b: float) -> float:
    return round((a / b - 1.0) * 100.0, 4)


def _symbol_facts(bias: BiasView, snap: Any) -> list[str]:
    """The numbers an LLM paragraph may state (ours, not the model's to invent)."""
    call = f"{bias.bias} ({bias.confidence:.0f}% confidence)" if bias.bias else "no call"
    out = [f"daily bias model: {call}", f"higher-timeframe trend: {snap.htf_bias}"]
    if snap.last_close_5m is not None:
        out.append(f"last close {snap.last_close_5m:.2f}")
    if snap.atr_daily is not None:
        out.append(f"daily ATR {snap.atr_daily:.2f} ({snap.atr_percentile:.0f}th percentile)")
    return out


def _market_facts(m: MarketContext) -> list[str]:
    out = [f"market bias model: {m.bias.bias or 'no call'}"]
    if m.spy_return_1d_pct is not None:
        out.append(f"SPY {m.spy_return_1d_pct:+.2f}% last session")
    if m.spy_return_5d_pct is not None:
        out.append(f"SPY {m.spy_return_5d_pct:+.2f}% over 5 sessions")
    if m.vix_close is not None:
        label = "VIX" if m.vix_source != "spy-realized" else "SPY realised volatility"
        out.append(f"{label} {m.vix_close:.1f} (source {m.vix_source})")
    return out


def build_premarket_context(
    day: date,
    symbols: Sequence[str],
    bars: Mapping[str, pd.DataFrame],
    daily: Mapping[str, pd.DataFrame] | None,
    news: Iterable[NewsItem],
    model: BiasModel | None,
    config: PremarketConfig | None = None,
    *,
    summarizer: NewsSummarizerPort | None = None,
    writer: ContextWriterPort | None = None,
    volatility: Volatility | None = None,
    market_news: Iterable[NewsItem] | None = None,
    snapshot_fn: SnapshotFn | None = None,
    seed_fn: SeedFn | None = None,
    on_symbol: Callable[[str], None] | None = None,
) -> PremarketContext:
    """The context of session ``day`` for ``symbols``; raises MarketClosedError on a non-session.

    ``volatility`` is the VIX figure the caller gathered (premarket/volatility.py); without
    it a ``VIX`` entry of ``daily`` is the index. Only an index figure feeds the bias model.
    ``market_news`` (when given) is where the market's items come from instead of ``news``:
    the deployed job fetches them apart, and a step that builds one symbol's part must not
    change the market's. ``writer`` writes each ``news_summary`` (default: the digest of
    ``summarizer``)."""
    cfg = config or PremarketConfig()
    if not is_session(day):
        kind = "a weekend" if day.weekday() >= 5 else "an XNYS holiday"
        raise MarketClosedError(f"date={day.isoformat()} is {kind}: no session, nothing to prepare")
    if snapshot_fn is None or seed_fn is None:
        dflt_snap, dflt_seed = _default_fns()
        snapshot_fn = snapshot_fn or dflt_snap
        seed_fn = seed_fn or dflt_seed
    summ = summarizer or RulesNewsSummarizer()
    if writer is None:
        writer = DigestWriter(summ, "rules" if isinstance(summ, RulesNewsSummarizer) else "custom")
    session = make_session(
        day,
        cfg.strategy.trading_window_start,
        cfg.strategy.trading_window_end,
        cfg.strategy.end_of_day_close_time,
    )
    run_time = run_time_for(day, cfg)
    prev = previous_session(day)
    daily = daily or {}
    lookback = timedelta(hours=cfg.news_lookback_hours)
    sel = select_news(news, symbols, run_time, lookback)
    if market_news is not None:
        sel.market = select_news(market_news, (), run_time, lookback).market
    spy_d = _cut_daily(daily.get("SPY"), day)
    if spy_d is None and "SPY" in bars:
        try:
            spy_d = daily_from_minutes(_cut_bars(bars["SPY"], run_time))
        except (ValueError, KeyError):
            spy_d = None
    vol = volatility if volatility is not None else volatility_from_daily(daily, day)
    shown = _cut_daily(vol.frame(), day)
    vix_d = shown if vol.is_index else None

    out: dict[str, SymbolContext] = {}
    excluded: dict[str, str] = {}
    oldest_ok = pd.Timestamp(make_session(_nth_previous(day, cfg.max_bar_age_sessions)).open)
    for sym in symbols:
        try:
            frame = bars.get(sym)
            if frame is None:
                raise ValueError("no 1-minute bars")
            cut = _cut_bars(frame, run_time)
            if cut.empty:
                raise ValueError(f"no 1-minute bars before {day.isoformat()}")
            _check_bars(cut)
            if cut.index[-1] < oldest_ok:
                raise ValueError(
                    f"latest 1-minute bar {cut.index[-1].isoformat()} is more than "
                    f"{cfg.max_bar_age_sessions} sessions before {day.isoformat()}"
                )
            sym_daily = _cut_daily(daily.get(sym), day)
            snap = snapshot_fn(sym, cut, [day], cfg.strategy, daily=sym_daily)[day]
            seeds = seed_fn(cut, session, cfg.strategy.rolling_window)
            bias_daily = sym_daily if sym_daily is not None else daily_from_minutes(cut)
            items = sel.per_symbol.get(sym, [])
            bias = _bias_view(model, day, prev, bias_daily, spy_d, vix_d)
            text, source = writer.write(sym, _symbol_facts(bias, snap), items)
            out[sym] = SymbolContext(
                symbol=sym,
                bias=bias,
                news_summary=text,
                summary_source=source,
                news_count=len(items),
                news=items[: cfg.max_news_items],
                snapshot=snap,
                seed_closes=[float(x) for x in np.asarray(seeds, dtype=np.float64)],
            )
        except (AdvisorError, ValueError, KeyError, IndexError) as exc:
            excluded[sym] = str(exc) or type(exc).__name__
        if on_symbol:
            on_symbol(sym)

    market = MarketContext(
        bias=_bias_view(model, day, prev, spy_d, spy_d, vix_d)
        if spy_d is not None
        else BiasView(note="no SPY daily bars"),
        spy_close=float(spy_d["close"].iloc[-1]) if spy_d is not None else None,
        spy_return_1d_pct=_pct(spy_d["close"].iloc[-1], spy_d["close"].iloc[-2])
        if spy_d is not None and len(spy_d) >= 2
        else None,
        spy_return_5d_pct=_pct(spy_d["close"].iloc[-1], spy_d["close"].iloc[-6])
        if spy_d is not None and len(spy_d) >= 6
        else None,
        vix_close=float(shown["close"].iloc[-1]) if shown is not None else None,
        vix_change_5d_pct=_pct(shown["close"].iloc[-1], shown["close"].iloc[-6])
        if shown is not None and len(shown) >= 6
        else None,
        vix_source=vol.source if shown is not None else None,
        vix_as_of=shown.index[-1].date() if shown is not None else None,
        vix_note=vol.note,
        news_count=len(sel.market),
        news=sel.market[: cfg.max_news_items],
    )
    text, source = writer.write(None, _market_facts(market), sel.market)
    market = market.model_copy(update={"news_summary": text, "summary_source": source})
    return PremarketContext(
        date=day,
        run_time=run_time,
        model_version=model.version if model is not None else None,
        symbols=out,
        excluded=excluded,
        market_context=market,
    )


def _nth_previous(day: date, n: int) -> date:
    d = day
    for _ in range(n):
        d = previous_session(d)
    return d
