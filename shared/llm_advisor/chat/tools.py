"""Tools over the portfolio queries: each reads one kind of record and returns rows,
summary figures and a citation per record used.

Only ``core.ports.PortfolioQueries`` is used (already scoped to one run by the service), so
the chat reads exactly what the API serves and never another run's rows. Money stays a
decimal string end to end; times are shown in New York, the session's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from llm_advisor.chat.models import Citation, ToolResult
from llm_advisor.chat.parse import Filters
from llm_advisor.core.calendar import NY
from llm_advisor.core.money import fmt_decimal
from llm_advisor.core.ports import PortfolioQueries, TradeRow

PAGE = 1000
MAX_TRADES = 5000  # bounds one question's work; the answer says when it was cut
FEATURE_ROWS = 10


def ny_time(ts: datetime) -> str:
    return ts.astimezone(NY).strftime("%H:%M")


def ny_day(ts: datetime) -> date:
    return ts.astimezone(NY).date()


def _m(x: Decimal | None) -> str | None:
    return None if x is None else fmt_decimal(x)


def _r(x: float | None, places: int = 2) -> float | None:
    return None if x is None else round(float(x), places)


def bias(queries: PortfolioQueries, day: date, symbols: Sequence[str]) -> ToolResult:
    rows = (
        [r for s in symbols for r in queries.daily_bias(day, s)]
        if symbols
        else (queries.daily_bias(day))
    )
    out = ToolResult("daily_bias", ["date", "symbol", "bias", "confidence", "htf_bias", "model"])
    for r in rows:
        out.rows.append(
            {
                "date": r.date.isoformat(),
                "symbol": r.symbol,
                "bias": r.bias,
                "confidence": _r(r.confidence),
                "htf_bias": r.htf_bias,
                "model": r.model_version,
            }
        )
        out.citations.append(Citation("daily_bias", f"{r.date}:{r.symbol}", r.date, r.symbol))
    out.facts = {"date": day.isoformat(), "count": len(rows)}
    return out


def _all_trades(
    queries: PortfolioQueries, start: date, end: date, symbol: str | None
) -> tuple[list[TradeRow], bool]:
    items: list[TradeRow] = []
    while len(items) < MAX_TRADES:
        page = queries.trades(start, end, symbol=symbol, limit=PAGE, offset=len(items))
        items.extend(page.items)
        if not page.items or len(items) >= page.total:
            return items, False
    return items, True


def _each(symbols: Sequence[str]) -> list[str | None]:
    """One query per named symbol, or one for all symbols."""
    return list(symbols) if symbols else [None]


def keep(t: TradeRow, f: Filters) -> bool:
    if f.setup and t.setup != f.setup:
        return False
    if f.side and t.side != f.side:
        return False
    if f.outcome == "win" and not t.pnl > 0:
        return False
    if f.outcome == "loss" and not t.pnl < 0:
        return False
    return not (f.exit_reason and t.exit_reason != f.exit_reason)


def trade_rows(trades: list[TradeRow]) -> ToolResult:
    out = ToolResult(
        "trades",
        ["id", "date", "symbol", "setup", "side", "qty", "entry_time", "entry_price",
         "exit_time", "exit_price", "exit_reason", "pnl"],
    )  # fmt: skip
    for t in trades:
        d = ny_day(t.entry_time)
        out.rows.append(
            {
                "id": t.id,
                "date": d.isoformat(),
                "symbol": t.symbol,
                "setup": t.setup,
                "side": t.side,
                "qty": t.qty,
                "entry_time": ny_time(t.entry_time),
                "entry_price": _m(t.entry_price),
                "exit_time": ny_time(t.exit_time),
                "exit_price": _m(t.exit_price),
                "exit_reason": t.exit_reason,
                "pnl": _m(t.pnl),
            }
        )
        out.citations.append(Citation("trade", str(t.id), d, t.symbol))
    total = sum((t.pnl for t in trades), Decimal(0))
    out.facts = {
        "count": len(trades),
        "total_pnl": fmt_decimal(total),
        "wins": sum(1 for t in trades if t.pnl > 0),
        "losses": sum(1 for t in trades if t.pnl < 0),
        "sessions": len({r["date"] for r in out.rows}),
    }
    return out


def find_trades(
    queries: PortfolioQueries, start: date, end: date, symbols: Sequence[str], filters: Filters
) -> tuple[list[TradeRow], bool]:
    """The run's trades in [start, end] for ``symbols`` (all when empty) passing ``filters``,
    by entry time; True when more than ``MAX_TRADES`` matched and the list was cut."""
    found: list[TradeRow] = []
    cut = False
    for sym in _each(symbols):
        items, more = _all_trades(queries, start, end, sym)
        found.extend(items)
        cut = cut or more
    return sorted((t for t in found if keep(t, filters)), key=lambda t: (t.entry_time, t.id)), cut


def trades(
    queries: PortfolioQueries, start: date, end: date, symbols: Sequence[str], filters: Filters
) -> ToolResult:
    found, cut = find_trades(queries, start, end, symbols, filters)
    out = trade_rows(found)
    out.facts.update(start=start.isoformat(), end=end.isoformat(), truncated=cut)
    return out


def pnl(queries: PortfolioQueries, run_id: str, start: date, end: date) -> ToolResult:
    rep = queries.pnl(start, end)
    out = ToolResult("pnl", ["date", "realized", "fees", "trades", "wins"])
    for d in rep.days:
        out.rows.append(
            {
                "date": d.date.isoformat(),
                "realized": _m(d.realized),
                "fees": _m(d.fees),
                "trades": d.trades,
                "wins": d.wins,
            }
        )
        out.citations.append(Citation("pnl_day", f"{run_id}:{d.date}", d.date, None))
    out.facts = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "total_realized": _m(rep.total_realized),
        "total_fees": _m(rep.total_fees),
        "trades": rep.trades,
        "sessions": len(rep.days),
        "win_rate": rep.win_rate,
        "win_rate_pct": None if rep.win_rate is None else round(100 * rep.win_rate, 1),
        "max_drawdown": _m(rep.max_drawdown),
    }
    return out


def positions(queries: PortfolioQueries) -> ToolResult:
    out = ToolResult(
        "positions",
        ["symbol", "side", "qty", "entry_price", "entry_time", "mark_price", "unrealized_pnl",
         "stop_price", "target_price"],
    )  # fmt: skip
    for p in queries.open_positions():
        d = ny_day(p.entry_time)
        out.rows.append(
            {
                "symbol": p.symbol,
                "side": p.side,
                "qty": p.qty,
                "entry_price": _m(p.entry_price),
                "entry_time": f"{d} {ny_time(p.entry_time)}",
                "mark_price": _m(p.mark_price),
                "unrealized_pnl": _m(p.unrealized_pnl),
                "stop_price": _m(p.stop_price),
                "target_price": _m(p.target_price),
            }
        )
        out.citations.append(Citation("position", p.client_order_id or p.symbol, d, p.symbol))
    out.facts = {"count": len(out.rows)}
    return out


def analysis(
    queries: PortfolioQueries, at: datetime | None, session: date | None = None
) -> ToolResult:
    """The analysis in force at ``at``; with ``session``, only one written that session."""
    out = ToolResult(
        "analysis",
        ["time", "session_date", "assessment", "confidence", "mult_mr_arm", "mult_mr_trigger",
         "mult_tc_arm", "mult_tc_trigger", "provider"],
    )  # fmt: skip
    a = queries.latest_analysis(at)
    if a is None or (session is not None and a.session_date != session):
        out.facts = {"count": 0}
        return out
    out.rows.append(
        {
            "time": f"{a.session_date} {ny_time(a.timestamp)}",
            "session_date": a.session_date.isoformat(),
            "assessment": a.market_assessment,
            "confidence": _r(a.confidence),
            "mult_mr_arm": _r(a.mult_mr_arm),
            "mult_mr_trigger": _r(a.mult_mr_trigger),
            "mult_tc_arm": _r(a.mult_tc_arm),
            "mult_tc_trigger": _r(a.mult_tc_trigger),
            "provider": a.provider,
        }
    )
    out.facts = {"count": 1, "reasoning": a.reasoning[:600]}
    out.citations.append(Citation("analysis", _utc_id(a.timestamp), a.session_date, None))
    return out


def _utc_id(ts: datetime) -> str:
    """The analysis row's key as the API shows it (its UTC timestamp)."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signals(
    queries: PortfolioQueries, start: date, end: date, symbols: Sequence[str], filters: Filters
) -> ToolResult:
    out = ToolResult(
        "signals",
        ["time", "symbol", "setup", "side", "status", "reject_reason", "z", "ref_price",
         "stop_price", "target_price", "qty"],
    )  # fmt: skip
    found = []
    for sym in _each(symbols):
        found.extend(queries.signals(start, end, symbol=sym, limit=PAGE))
    for s in sorted(found, key=lambda s: s.signal_time):
        if (filters.setup and s.setup != filters.setup) or (
            filters.side and s.side != filters.side
        ):
            continue
        d = ny_day(s.signal_time)
        out.rows.append(
            {
                "time": f"{d} {ny_time(s.signal_time)}",
                "symbol": s.symbol,
                "setup": s.setup,
                "side": s.side,
                "status": s.status,
                "reject_reason": s.reject_reason or None,
                "z": _r(s.z),
                "ref_price": _m(s.ref_price),
                "stop_price": _m(s.stop_price),
                "target_price": _m(s.target_price),
                "qty": s.qty,
            }
        )
        out.citations.append(Citation("signal", s.client_order_id, d, s.symbol))
    out.facts = {"count": len(out.rows), "start": start.isoformat(), "end": end.isoformat()}
    return out


def features(queries: PortfolioQueries, symbol: str, day: date) -> ToolResult:
    """The logged per-minute features of one symbol and session (the last minutes)."""
    out = ToolResult("features", ["time", "close", "z", "mu", "sigma", "atr_5m", "state"])
    reader: Any = getattr(queries, "minute_features", None)
    minutes = list(reader(symbol, day)) if reader is not None else []
    for m in minutes[-FEATURE_ROWS:]:
        out.rows.append(
            {
                "time": ny_time(m.timestamp),
                "close": _r(m.close),
                "z": _r(m.z),
                "mu": _r(m.mu),
                "sigma": _r(m.sigma, 4),
                "atr_5m": _r(m.atr_5m, 4),
                "state": m.state,
            }
        )
    zs = [abs(m.z) for m in minutes if m.z is not None]
    out.facts = {
        "minutes": len(minutes),
        "max_abs_z": _r(max(zs)) if zs else None,
        "symbol": symbol,
        "date": day.isoformat(),
    }
    if minutes:
        out.citations.append(Citation("features", f"{symbol}:{day}", day, symbol))
    return out


def session_bounds(day: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(day, time(9, 30), tzinfo=NY),
        datetime.combine(day, time(23, 59, 59), tzinfo=NY),
    )
