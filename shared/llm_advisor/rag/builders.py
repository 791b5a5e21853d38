"""A day's retrieval documents, built read-only from the trading record.

One document per record: the daily bias of each symbol (with its news summary), the
premarket context of each symbol, each market analysis, each trade with its decision
journal (signal, thresholds and multipliers, validation verdict, fills, exit reason, P/L),
and one daily P/L summary per run. Texts spell out the weekday and New York times, because
that is how people ask ("the NVDA short on Tuesday afternoon"); numbers are quoted from the
records as stored, never recomputed. The bias and P/L reads go through the repository's
portfolio queries; the rest are plain SELECTs over the same tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from llm_advisor.core.calendar import NY
from llm_advisor.rag.documents import RagDocument
from llm_advisor.storage import codec as c
from llm_advisor.storage.queries import PortfolioQueriesImpl
from llm_advisor.storage.repository import Repository


def _ny(ts: datetime | None) -> str:
    return "n/a" if ts is None else ts.astimezone(NY).strftime("%H:%M ET")


def _day_words(day: date) -> str:
    return f"{day.strftime('%A')} {day.isoformat()}"


def _money(v: Decimal | None) -> str:
    if v is None:
        return "n/a"
    q = v.quantize(Decimal("0.01"))
    return f"+{q}" if q > 0 else str(q)


def _num(v: Any, digits: int = 2) -> str:
    return "n/a" if v is None else f"{float(v):.{digits}f}"


def _repo(db: Any, run_id: str | None) -> Repository:
    inner = getattr(db, "db", db)
    return Repository(inner, scope_run_id=run_id)


def runs_of_day(db: Any, day: date) -> list[str]:
    """Runs with a trade, signal or market analysis on session ``day``."""
    repo = _repo(db, None)
    d = repo.codec.day(c.day(day, "date"))
    found: set[str] = set()
    with repo.db.transaction() as cur:
        for table in ("trades", "trade_signals", "market_analysis"):
            cur.execute(f"SELECT DISTINCT run_id FROM {table} WHERE session_date = ?", (d,))
            found.update(str(r[0]) for r in cur.fetchall())
    return sorted(found)


def bias_docs(db: Any, day: date) -> list[RagDocument]:
    out = []
    for b in _repo(db, None).daily_bias(day):
        news = (b.news_summary or "").strip() or "no news summary"
        text = (
            f"Daily bias for {b.symbol} on {_day_words(day)}: {b.bias}, confidence "
            f"{_num(b.confidence, 0)}/100; higher-timeframe bias {b.htf_bias or 'n/a'}; model "
            f"{b.model_version or 'n/a'}. News summary: {news}"
        )
        out.append(
            RagDocument(
                "daily_bias",
                f"{day.isoformat()}:{b.symbol}",
                day,
                text,
                symbol=b.symbol,
                attributes={"bias": b.bias, "confidence": float(b.confidence)},
            )
        )
    return out


def premarket_docs(db: Any, day: date) -> list[RagDocument]:
    repo = _repo(db, None)
    out = []
    for sym, s in repo.get_premarket_snapshots(day).items():
        text = (
            f"Premarket context for {sym} on {_day_words(day)}: higher-timeframe bias "
            f"{s.htf_bias}, structure {s.hh_ll_tag}, daily EMA slope {_num(s.ema_slope_daily, 4)}, "
            f"hourly EMA slope {_num(s.ema_slope_hourly, 4)}, daily ATR {_num(s.atr_daily)} "
            f"(percentile {_num(s.atr_percentile, 0)}), 5-minute band mu {_num(s.band_mu)} "
            f"sigma {_num(s.band_sigma)}, 5-minute ATR {_num(s.atr_5m)}, last 5-minute close "
            f"{_num(s.last_close_5m)}, {s.daily_bars} daily bars of history."
        )
        out.append(
            RagDocument(
                "premarket",
                f"{day.isoformat()}:{sym}",
                day,
                text,
                symbol=sym,
                attributes={"htf_bias": s.htf_bias, "structure": s.hh_ll_tag},
            )
        )
    return out


def analysis_docs(db: Any, day: date, run_id: str) -> list[RagDocument]:
    repo = _repo(db, run_id)
    k = repo.codec
    with repo.db.transaction() as cur:
        cur.execute(
            "SELECT timestamp, provider, model, market_assessment, confidence, mult_mr_arm, "
            "mult_mr_trigger, mult_tc_arm, mult_tc_trigger, per_symbol, opportunities, "
            "reasoning, source FROM market_analysis WHERE session_date = ? AND run_id = ? "
            "ORDER BY timestamp, provider",
            (k.day(day), run_id),
        )
        rows = cur.fetchall()
    out = []
    for r in rows:
        ts = k.ts_out(r[0])
        assert ts is not None
        per_symbol = k.json_out(r[9]) or {}
        opportunities = k.json_out(r[10]) or []
        notes = "; ".join(
            f"{sym}: {', '.join(f'{key} {val}' for key, val in sorted(v.items()))}"
            if isinstance(v, dict)
            else f"{sym}: {v}"
            for sym, v in sorted(per_symbol.items())
        )
        text = (
            f"Market analysis at {_ny(ts)} on {_day_words(day)} (run {run_id}) by {r[1]} "
            f"{r[2] or ''}".rstrip()
            + f": market {r[3]}, confidence {_num(r[4], 0)}/100. Threshold multipliers: "
            f"MR arm x{_num(r[5])}, MR trigger x{_num(r[6])}, TC arm x{_num(r[7])}, "
            f"TC trigger x{_num(r[8])}. Per symbol: {notes or 'none'}. Opportunities: "
            f"{', '.join(map(str, opportunities)) or 'none'}. Reasoning: {r[11] or 'none'}"
            + (f" (source {r[12]})" if r[12] else "")
        )
        out.append(
            RagDocument(
                "market_analysis",
                f"{ts.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}:{r[1]}",
                day,
                text,
                run_id=run_id,
                attributes={"assessment": r[3], "provider": r[1]},
            )
        )
    return out


def _journal(repo: PortfolioQueriesImpl, run_id: str, coid: str) -> dict[str, Any]:
    """The signal, validation and fills behind one trade."""
    k = repo.codec
    with repo.db.transaction() as cur:
        cur.execute(
            "SELECT status, z, ref_price, stop_price, target_price, atr_5m, mr_arm_z, "
            "mr_trigger_z, tc_arm_z, tc_trigger_z, mult_mr_arm, mult_mr_trigger, mult_tc_arm, "
            "mult_tc_trigger, reject_reason FROM trade_signals WHERE run_id = ? "
            "AND client_order_id = ? ORDER BY signal_time LIMIT 1",
            (run_id, coid),
        )
        signal = cur.fetchone()
        cur.execute(
            "SELECT verdict, provider, model, reasoning FROM llm_validations "
            "WHERE run_id = ? AND client_order_id = ?",
            (run_id, coid),
        )
        verdict = cur.fetchone()
        cur.execute(
            "SELECT leg, side, qty, price, timestamp FROM fills WHERE run_id = ? AND "
            "(client_order_id = ? OR client_order_id IN (SELECT client_order_id FROM orders "
            "WHERE run_id = ? AND parent_client_order_id = ?)) ORDER BY timestamp, id",
            (run_id, coid, run_id, coid),
        )
        fills = [(r[0], r[1], int(r[2]), k.dec_out(r[3]), k.ts_out(r[4])) for r in cur.fetchall()]
    return {"signal": signal, "verdict": verdict, "fills": fills}


def trade_docs(db: Any, day: date, run_id: str) -> list[RagDocument]:
    repo = _repo(db, run_id)
    out = []
    offset = 0
    while True:
        page = repo.trades(day, day, limit=1000, offset=offset)
        for t in page.items:
            j = _journal(repo, run_id, t.client_order_id)
            s = j["signal"]
            signal = "no stored signal"
            if s is not None:
                signal = (
                    f"signal z {_num(s[1])} at reference {s[2]}, stop {s[3] or 'n/a'}, target "
                    f"{s[4] or 'n/a'}, 5-minute ATR {_num(s[5])}; thresholds MR arm "
                    f"{_num(s[6])} trigger {_num(s[7])}, TC arm {_num(s[8])} trigger "
                    f"{_num(s[9])}; analyst multipliers MR arm x{_num(s[10])} trigger "
                    f"x{_num(s[11])}, TC arm x{_num(s[12])} trigger x{_num(s[13])}"
                )
            v = j["verdict"]
            verdict = "no LLM validation recorded"
            if v is not None:
                verdict = f"validation verdict {v[0]} by {v[1] or 'n/a'} {v[2] or ''}".rstrip()
                if v[3]:
                    verdict += f" ({v[3]})"
            fills = "; ".join(
                f"{leg} {side} {qty} @ {price} at {_ny(ts)}"
                for leg, side, qty, price, ts in j["fills"]
            )
            text = (
                f"Trade {t.symbol} {t.side} {t.setup} on {_day_words(day)} (run {run_id}, "
                f"order {t.client_order_id}): signal at {_ny(t.signal_time)}, entered "
                f"{_ny(t.entry_time)} at {t.entry_price}, exited {_ny(t.exit_time)} at "
                f"{t.exit_price} by {t.exit_reason}; {t.qty} shares; P/L {_money(t.pnl)} USD "
                f"after commission {t.commission}. Journal: {signal}. {verdict}. Fills: "
                f"{fills or 'none recorded'}."
            )
            out.append(
                RagDocument(
                    "trade",
                    t.client_order_id,
                    day,
                    text,
                    run_id=run_id,
                    symbol=t.symbol,
                    attributes={
                        "setup": t.setup,
                        "side": t.side,
                        "exit_reason": t.exit_reason,
                        "pnl": float(t.pnl),
                    },
                )
            )
        offset += len(page.items)
        if offset >= page.total or not page.items:
            return out


def pnl_doc(db: Any, day: date, run_id: str) -> list[RagDocument]:
    rep = _repo(db, run_id).pnl(day, day)
    if not rep.days:
        text = f"Daily P/L for {_day_words(day)} (run {run_id}): no closed trades."
    else:
        d = rep.days[0]
        text = (
            f"Daily P/L for {_day_words(day)} (run {run_id}): realized {_money(d.realized)} USD "
            f"over {d.trades} trades, {d.wins} winners, fees {d.fees}; max intraday drawdown "
            f"{rep.max_drawdown}."
        )
    return [
        RagDocument(
            "daily_pnl",
            day.isoformat(),
            day,
            text,
            run_id=run_id,
            attributes={"realized": float(rep.total_realized), "trades": rep.trades},
        )
    ]


def day_documents(db: Any, day: date, runs: Sequence[str] | None = None) -> list[RagDocument]:
    """Every document of session ``day``: the shared per-day ones, then each run's."""
    day = c.day(day, "date")
    docs = bias_docs(db, day) + premarket_docs(db, day)
    for run_id in runs if runs is not None else runs_of_day(db, day):
        docs += analysis_docs(db, day, run_id) + trade_docs(db, day, run_id)
        docs += pnl_doc(db, day, run_id)
    return docs
