"""Read-only views of the engine for drivers: open positions, z-scores, the market view.

The market view is what an analyst may know at ``as_of``: features of bars complete by
then (the spec's "Inputs" to the analysis). Nothing here changes the engine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import MarketView, Position, Setup, Side, SymbolView
from llm_advisor.core.money import to_decimal
from llm_advisor.engine.arrays import SymbolArrays
from llm_advisor.engine.book import SimBook
from llm_advisor.engine.states import BIAS_NAME, STATE_NAMES
from llm_advisor.features.rolling import RollingStats


def open_positions(book: SimBook, a: SymbolArrays) -> list[Position]:
    """Filled positions (pending entries are orders, not positions), marked at the close."""
    out = []
    for s in sorted(book.positions):
        p = book.positions[s]
        if p.pending or p.entry_time is None:
            continue
        out.append(
            Position(
                symbol=p.symbol,
                side=Side.LONG if p.side > 0 else Side.SHORT,
                qty=p.qty,
                entry_price=to_decimal(p.entry_price),
                entry_time=p.entry_time,
                stop_price=p.stop,
                target_price=p.target,
                client_order_id=p.client_order_id,
                setup=Setup(p.setup),
                mark_price=None
                if math.isnan(a.last_close[s])
                else to_decimal(float(a.last_close[s])),
            )
        )
    return out


def z_scores(rolling: RollingStats, a: SymbolArrays, cfg: StrategyConfig) -> NDArray[np.float64]:
    """Current z of every symbol's latest close (NaN where undefined)."""
    sigma = rolling.sigma(np.arange(a.n))
    mean = rolling.mean
    ok = (
        (rolling.count >= cfg.min_periods)
        & (sigma > cfg.sigma_epsilon * np.abs(mean))
        & ~np.isnan(a.last_close)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, (a.last_close - mean) / np.where(ok, sigma, 1.0), np.nan)


def market_view(
    symbols: tuple[str, ...],
    rolling: RollingStats,
    a: SymbolArrays,
    cfg: StrategyConfig,
    *,
    as_of: datetime,
    session_date: str,
    open_count: int,
    realized_today: Decimal,
    daily_bias: Mapping[str, tuple[str, float]] | None,
    news_summary: str,
    vix: float | None,
) -> MarketView:
    """The interval's price action uses the window's closes (return, high and low of the
    closes over the last analysis interval)."""
    zs = z_scores(rolling, a, cfg)
    sig = rolling.sigma(np.arange(len(symbols)))
    views = []
    k = cfg.analysis_interval_minutes
    for i, sym in enumerate(symbols):
        last = float(a.last_close[i])
        w = rolling.window_values(i)
        ret = hi = lo = None
        if not math.isnan(last) and w.size > 1:
            tail = w[-(k + 1) :]
            ret = float((tail[-1] / tail[0] - 1.0) * 100.0)
            hi, lo = float(tail.max()), float(tail.min())
        bias = (daily_bias or {}).get(sym)
        views.append(
            SymbolView(
                symbol=sym,
                last_close=None if math.isnan(last) else last,
                z=None if math.isnan(zs[i]) else float(zs[i]),
                mu=float(rolling.mean[i]) if rolling.count[i] else None,
                sigma=float(sig[i]) if rolling.count[i] else None,
                atr_5m=None if math.isnan(a.atr5[i]) else float(a.atr5[i]),
                state=STATE_NAMES[int(a.state[i])],
                htf_bias=BIAS_NAME[int(a.htf[i])],
                atr_percentile=float(a.atr_pct[i]),
                daily_bias=bias[0] if bias else None,
                daily_bias_confidence=bias[1] if bias else None,
                interval_return_pct=ret,
                interval_high=hi,
                interval_low=lo,
                trades_today=int(a.trades_today[i]),
            )
        )
    return MarketView(
        as_of=as_of,
        session_date=session_date,
        symbols=views,
        news_summary=news_summary,
        vix=vix,
        open_positions=open_count,
        realized_pnl_today=realized_today,
    )
