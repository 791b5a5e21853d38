"""The numbers behind ``report.html``: pure functions of a replay's result and its bars.

Everything here is plain JSON-able data (lists, floats, strings) that the page's script
turns into charts, so the same data feeds the charts and the chartless fallback, and a
test can check it without a browser. Times are shown in New York time (the session's),
as ``YYYY-MM-DD HH:MM:SS`` strings the chart axis takes as-is.

The per-minute z of a symbol-day is *recomputed* here, because ``run_replay`` keeps no
per-minute features (``Engine.step(log_minutes=True)`` is not reachable through it). The
recomputation uses the engine's own ``RollingStats`` with the engine's seeds (the last W
closes before the open) and the engine's definedness rule, so it is the engine's z to the
bit (a test checks it against every signal's z). The thresholds in force each minute are
rebuilt from the run's advices with the engine's rule (latest advice before the bar
completes, neutral when stale). Only the symbol-days with trades or signals are computed
and embedded, which keeps both the cost and the file small.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from llm_advisor.core.calendar import NY, Session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Advice, Trade
from llm_advisor.features.rolling import RollingStats
from llm_advisor.live.engine import session_for_config

if TYPE_CHECKING:
    from llm_advisor.replay.runner import ReplayResult

MAX_SYMBOL_DAYS = 1000  # ~3 KB each embedded; beyond this the biggest P/L days are kept
MAX_SYMBOL_BARS = 40  # the by-symbol chart shows the 20 best and 20 worst beyond this
EXIT_REASONS = ("stop", "target", "eod", "kill_switch")
_ONE_MIN = timedelta(minutes=1)


def ny_text(ts: datetime) -> str:
    return ts.astimezone(NY).strftime("%Y-%m-%d %H:%M:%S")


def _money(x: Decimal) -> float:
    return round(float(x), 2)


def _by_exit(trades: Iterable[Trade]) -> list[Trade]:
    return sorted(trades, key=lambda t: (t.exit_time, t.symbol))


def equity_curve(
    trades: Sequence[Trade], start_equity: Decimal, first: datetime, last: datetime
) -> dict[str, list[Any]]:
    """Realized equity after each exit (the summary's max drawdown is over the same
    points), its drawdown from the running peak in dollars and percent."""
    xs, eq, dd, dd_pct = [ny_text(first)], [_money(start_equity)], [0.0], [0.0]
    e = peak = start_equity
    for t in _by_exit(trades):
        e += t.pnl
        peak = max(peak, e)
        xs.append(ny_text(t.exit_time))
        eq.append(_money(e))
        dd.append(_money(e - peak))
        dd_pct.append(round(float((e - peak) / peak * 100), 3) if peak > 0 else 0.0)
    xs.append(ny_text(max(last, first)))
    eq.append(eq[-1])
    dd.append(dd[-1])
    dd_pct.append(dd_pct[-1])
    return {"x": xs, "equity": eq, "drawdown": dd, "drawdown_pct": dd_pct}


def session_day(t: Trade) -> date:
    return t.entry_time.astimezone(NY).date()


def daily_pnl(trades: Sequence[Trade], sessions: Sequence[date]) -> dict[str, list[Any]]:
    """P/L per session (every session, zero when flat), by the day the trade was entered."""
    pnl: dict[date, Decimal] = defaultdict(Decimal)
    count: dict[date, int] = defaultdict(int)
    for t in trades:
        pnl[session_day(t)] += t.pnl
        count[session_day(t)] += 1
    days = sorted(set(sessions) | set(pnl))
    return {
        "day": [d.isoformat() for d in days],
        "pnl": [_money(pnl[d]) for d in days],
        "trades": [count[d] for d in days],
    }


def breakdown(
    trades: Sequence[Trade], key: Callable[[Trade], str], order: Sequence[str] = ()
) -> dict[str, list[Any]]:
    """P/L, trades and wins per value of ``key`` (``order`` first, then the rest sorted)."""
    pnl: dict[str, Decimal] = defaultdict(Decimal)
    n: dict[str, int] = defaultdict(int)
    wins: dict[str, int] = defaultdict(int)
    for t in trades:
        k = key(t)
        pnl[k] += t.pnl
        n[k] += 1
        wins[k] += t.pnl > 0
    labels = [k for k in order if k in n] + sorted(k for k in n if k not in order)
    return {
        "label": labels,
        "pnl": [_money(pnl[k]) for k in labels],
        "trades": [n[k] for k in labels],
        "wins": [wins[k] for k in labels],
    }


def by_symbol(trades: Sequence[Trade]) -> dict[str, Any]:
    """By symbol, best P/L first; with many symbols only the best and worst 20 (noted)."""
    b = breakdown(trades, lambda t: t.symbol)
    rows = sorted(zip(b["label"], b["pnl"], b["trades"], b["wins"], strict=True), key=_pnl_desc)
    total = len(rows)
    if total > MAX_SYMBOL_BARS:
        half = MAX_SYMBOL_BARS // 2
        rows = rows[:half] + rows[-half:]
    cols = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    out: dict[str, Any] = {
        k: list(v) for k, v in zip(("label", "pnl", "trades", "wins"), cols, strict=True)
    }
    out["symbols"] = total
    return out


def _pnl_desc(row: tuple[str, float, int, int]) -> tuple[float, str]:
    return (-row[1], row[0])


def exit_mix(trades: Sequence[Trade]) -> dict[str, list[Any]]:
    return breakdown(trades, lambda t: t.exit_reason.value, EXIT_REASONS)


# ---------------------------------------------------------------------- symbol-days
def _pick_symbol_days(result: ReplayResult, cap: int) -> tuple[list[tuple[str, date]], int]:
    """Symbol-days with trades (largest |P/L| first when capped), then with signals only."""
    pnl: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for t in result.trades:
        pnl[(t.symbol, session_day(t))] += t.pnl
    with_signals = {(s.symbol, s.signal_time.astimezone(NY).date()) for s in result.signals}
    ranked = sorted(pnl, key=lambda k: (-abs(pnl[k]), k))
    ranked += sorted(with_signals - set(pnl))
    sessions = set(result.sessions)
    ranked = [k for k in ranked if k[1] in sessions]
    return sorted(ranked[:cap], key=lambda k: (k[0], k[1])), len(ranked)


def recompute_z(
    rows: Sequence[tuple[str, date]],
    bars: Mapping[str, pd.DataFrame],
    config: StrategyConfig,
) -> tuple[list[Session], NDArray[np.float64], NDArray[np.float64]]:
    """Each symbol-day's closes and z on its session's minute grid (NaN: no bar / no z).

    All rows are stepped together, one ``RollingStats.update`` per minute of the longest
    session, exactly as the engine steps its symbols (the rows' statistics are
    independent: one row alone or among many gives the same bits)."""
    w = config.rolling_window
    sess_of = {d: session_for_config(d, config) for d in {d for _, d in rows}}
    sessions = [sess_of[d] for _, d in rows]
    width = max((s.minutes for s in sessions), default=0)
    closes = np.full((len(rows), width), np.nan)
    seeds: list[NDArray[np.float64]] = []
    cache: dict[str, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}
    for r, (sym, _day) in enumerate(rows):
        if sym not in cache:
            df = bars[sym]
            cache[sym] = (
                pd.DatetimeIndex(df.index).asi8.astype(np.int64),
                df["close"].to_numpy(np.float64),
            )
        ts, close = cache[sym]
        sess = sessions[r]
        open_ns = int(pd.Timestamp(sess.open).value)
        lo = int(np.searchsorted(ts, open_ns, side="left"))
        hi = int(np.searchsorted(ts, int(pd.Timestamp(sess.close).value), side="left"))
        seeds.append(close[max(0, lo - w) : lo])
        closes[r, (ts[lo:hi] - open_ns) // 60_000_000_000] = close[lo:hi]
    roll = RollingStats(len(rows), w)
    roll.reset_all(seeds)
    z = np.full_like(closes, np.nan)
    for i in range(width):
        col = closes[:, i]
        idx = np.flatnonzero(~np.isnan(col))
        if idx.size == 0:
            continue
        x = col[idx]
        roll.update(idx, x)
        mean = roll.mean[idx]
        sigma = roll.sigma(idx)
        zd = (roll.count[idx] >= config.min_periods) & (sigma > config.sigma_epsilon * np.abs(mean))
        with np.errstate(invalid="ignore", divide="ignore"):
            z[idx, i] = np.where(zd, (x - mean) / np.where(zd, sigma, 1.0), np.nan)
    return sessions, closes, z


class SessionAdvice(NamedTuple):
    """A session's advices in the engine's order and where the one in force changes."""

    advices: list[Advice]
    steps: list[tuple[int, int, bool]]  # (minute, advice index or -1, stale)


def session_advice(sess: Session, advices: Sequence[Advice]) -> SessionAdvice:
    day = [a for a in advices if sess.open <= a.as_of < sess.close]
    day.sort(key=lambda a: a.as_of)  # stable, as the engine sorts on every add
    return SessionAdvice(day, advice_steps(sess, day))


def _in_force(sess: Session, day: Sequence[Advice], times: Sequence[datetime], i: int) -> Any:
    """The engine's rule for a bar completing at minute i + 1 (``Engine._effective``):
    the latest advice made before it, stale after twice its interval."""
    completes = sess.open + (i + 1) * _ONE_MIN
    chosen = bisect_left(times, completes) - 1
    if chosen < 0:
        return (-1, True)
    a = day[chosen]
    return (chosen, completes - a.as_of > timedelta(minutes=2 * a.interval_minutes))


def advice_steps(sess: Session, day: Sequence[Advice]) -> list[tuple[int, int, bool]]:
    """(minute, advice index or -1, stale) wherever the advice in force changes.

    The rule only changes next to an advice's time or its staleness time, so only those
    minutes (and their neighbours) are evaluated, not every minute of the session."""
    times = [a.as_of for a in day]
    cand = {0}
    for a in day:
        since = (a.as_of - sess.open).total_seconds() / 60
        for x in (since, since + 2 * a.interval_minutes):
            f = math.floor(x)
            cand.update(m for m in (f - 1, f, f + 1) if 0 <= m < sess.minutes)
    out: list[tuple[int, int, bool]] = []
    for i in sorted(cand):
        key = _in_force(sess, day, times, i)
        if not out or out[-1][1:] != key:
            out.append((i, *key))
    return out


def threshold_steps(plan: SessionAdvice, symbol: str, config: StrategyConfig) -> list[list[float]]:
    """[minute, mr_arm_z, mr_trigger_z, tc_arm_z, tc_trigger_z] where they change."""
    base = (config.mr_arm_z, config.mr_trigger_z, config.tc_arm_z, config.tc_trigger_z)
    lo, hi = config.multiplier_min, config.multiplier_max
    out: list[list[float]] = []
    for i, chosen, stale in plan.steps:
        mult = (1.0, 1.0, 1.0, 1.0)
        if chosen >= 0 and not stale:
            a = plan.advices[chosen]
            m = a.per_symbol.get(symbol, a.multipliers)
            mult = m.clamped(lo, hi).as_tuple()
        k = [round(b * m, 4) for b, m in zip(base, mult, strict=True)]
        if not out or out[-1][1:] != k:
            out.append([i, *k])
    return out


def _ints_or_none(q: NDArray[np.float64]) -> list[int | None]:
    """Whole numbers as ints, NaN as None (JSON null)."""
    out: list[int | None] = [None] * q.size
    idx = np.flatnonzero(~np.isnan(q))
    for i, v in zip(idx.tolist(), q[idx].astype(np.int64).tolist(), strict=True):
        out[i] = v
    return out


def _delta_ints(values: NDArray[np.float64], scale: int) -> list[int | None]:
    """Prices as integer steps of 1/scale, each the change from the last bar (compact)."""
    q = np.round(values * scale)
    present = ~np.isnan(q)
    q[present] = np.diff(q[present], prepend=0.0)
    return _ints_or_none(q)


def symbol_days(
    result: ReplayResult, bars: Mapping[str, pd.DataFrame], cap: int = MAX_SYMBOL_DAYS
) -> dict[str, Any]:
    picked, total = _pick_symbol_days(result, cap)
    sessions, closes, z = recompute_z(picked, bars, result.config)
    trades: dict[tuple[str, date], list[Trade]] = defaultdict(list)
    for t in result.trades:
        trades[(t.symbol, session_day(t))].append(t)
    signals: dict[tuple[str, date], list[Any]] = defaultdict(list)
    for s in result.signals:
        signals[(s.symbol, s.signal_time.astimezone(NY).date())].append(s)
    plans = {sess.day: session_advice(sess, result.advices) for sess in set(sessions)}
    rows = []
    for r, (sym, day) in enumerate(picked):
        sess = sessions[r]
        c = closes[r, : sess.minutes]
        present = c[~np.isnan(c)]
        scale = 100 if present.size == 0 or float(present.min()) >= 1 else 10_000
        zr = np.round(z[r, : sess.minutes] * 100)
        ts = sorted(trades[(sym, day)], key=lambda t: t.entry_time)
        rows.append(
            {
                "symbol": sym,
                "day": day.isoformat(),
                "open": ny_text(sess.open),
                "scale": scale,
                "c": _delta_ints(c, scale),
                "z": _ints_or_none(zr),
                "k": threshold_steps(plans[day], sym, result.config),
                "pnl": _money(sum((t.pnl for t in ts), Decimal(0))),
                "trades": [
                    {
                        "setup": t.setup.value,
                        "side": t.side.value,
                        "qty": t.qty,
                        "entry": [ny_text(t.entry_time), float(t.entry_price)],
                        "exit": [ny_text(t.exit_time), float(t.exit_price)],
                        "reason": t.exit_reason.value,
                        "pnl": _money(t.pnl),
                    }
                    for t in ts
                ],
                "signals": [
                    [ny_text(s.signal_time), round(s.z, 3), s.status, s.setup.value, s.side.value]
                    for s in sorted(signals[(sym, day)], key=lambda s: s.signal_time)
                ],
            }
        )
    return {"rows": rows, "total": total, "abort_z": result.config.mr_abort_z}


# ---------------------------------------------------------------------- the run
def run_data(
    result: ReplayResult,
    bars: Mapping[str, pd.DataFrame] | None,
    title: str = "",
    *,
    with_symbol_days: bool = True,
) -> dict[str, Any]:
    """Everything one run's page shows (``bars`` None: no symbol-day charts)."""
    cfg = result.config
    trades = list(result.trades)
    sessions = list(result.sessions)
    if not sessions:
        raise ValueError("a replay result without sessions has nothing to report")
    first = session_for_config(sessions[0], cfg).open
    last = session_for_config(sessions[-1], cfg).close
    start_equity = Decimal(str(result.summary.get("start_equity", cfg.starting_equity)))
    hour = breakdown(trades, lambda t: f"{t.entry_time.astimezone(NY).hour:02d}:00")
    data: dict[str, Any] = {
        "title": title or f"Replay {result.analyst}",
        "run_id": result.run_id,
        "analyst": result.analyst,
        "validator": result.validator,
        "start": sessions[0].isoformat(),
        "end": sessions[-1].isoformat(),
        "symbols": list(result.symbols),
        "summary": dict(result.summary),
        "equity": equity_curve(trades, start_equity, first, last),
        "daily": daily_pnl(trades, sessions),
        "by_setup": breakdown(trades, lambda t: t.setup.value, ("MR", "TC")),
        "by_side": breakdown(trades, lambda t: t.side.value, ("long", "short")),
        "by_symbol": by_symbol(trades),
        "by_hour": hour,
        "exits": exit_mix(trades),
        "trades": len(trades),
    }
    if with_symbol_days and bars is not None:
        data["symbol_days"] = symbol_days(result, bars)
    return data
