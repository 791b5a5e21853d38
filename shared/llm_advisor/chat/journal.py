"""Why a trade was taken: its decision journal from the records, plus retrieved text.

The journal is rebuilt from structured rows (the trade, the signal that opened it, the
analyst's advice in force at the signal, the day's bias), so its figures are exact. Text
found by retrieval (``llm_advisor.rag.retrieval``: news summaries, analyst reasoning) is
added as untrusted context with its citation; when retrieval is not installed or its table
is empty the journal still answers.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from llm_advisor.chat import tools
from llm_advisor.chat.models import Citation, RetrievedText, ToolResult
from llm_advisor.chat.parse import Question
from llm_advisor.core.ports import PortfolioQueries

log = logging.getLogger("llm_advisor.chat")
MAX_JOURNALS = 3
DOC_CHARS = 500


def retrieve(
    queries: PortfolioQueries,
    text: str,
    run_id: str,
    *,
    symbol: str | None = None,
    start: date | None = None,
    end: date | None = None,
    k: int = 3,
) -> list[RetrievedText]:
    """Top documents for ``text`` from this run (or run-less market documents); [] when
    retrieval is unavailable. Never raises: text is context, the numbers come from rows."""
    db = getattr(queries, "db", None)
    if db is None:
        return []
    try:
        from llm_advisor.rag import retrieval
    except ImportError:
        return []
    try:
        if not _any_document(db, symbol, run_id):
            return []  # nothing could match: skip embedding the query (the costly part)
        docs: list[Any] = retrieval.search(
            db, text, k=k, symbol=symbol, start=start, end=end, run_id=run_id
        )
    except Exception as exc:  # an absent table or embedder must not fail the answer
        log.info("retrieval unavailable: %s", type(exc).__name__)
        return []
    return [
        RetrievedText(d.kind, str(d.record_id), d.date, d.symbol, _clip(str(d.text)))
        for d in docs
        if d.run_id in (None, run_id)
    ]


def _clip(text: str) -> str:
    return text if len(text) <= DOC_CHARS else text[:DOC_CHARS].rsplit(" ", 1)[0] + " ..."


def _any_document(db: Any, symbol: str | None, run_id: str) -> bool:
    sql = "SELECT 1 FROM rag_documents WHERE (run_id = ? OR run_id IS NULL)"
    params: list[Any] = [run_id]
    if symbol is not None:
        sql += " AND (symbol = ? OR symbol IS NULL)"
        params.append(symbol)
    with db.transaction() as cur:
        cur.execute(sql + " LIMIT 1", tuple(params))
        return cur.fetchone() is not None


def why(queries: PortfolioQueries, run_id: str, q: Question, start: date, end: date) -> ToolResult:
    matched, _cut = tools.find_trades(queries, start, end, q.symbols, q.filters)
    found = tools.trade_rows(matched)
    out = ToolResult(
        "why",
        [*found.columns, "signal_z", "arm_z", "trigger_z", "stop_price", "target_price",
         "validation", "analysis", "analysis_confidence", "bias"],
    )  # fmt: skip
    out.facts = {"count": len(matched), "start": start.isoformat(), "end": end.isoformat()}
    for trade, row, cite in list(zip(matched, found.rows, found.citations, strict=True))[
        :MAX_JOURNALS
    ]:
        day = date.fromisoformat(row["date"])
        sig = next(
            (
                s
                for s in queries.signals(day, day, symbol=trade.symbol, limit=tools.PAGE)
                if s.client_order_id == trade.client_order_id
            ),
            None,
        )
        journal = dict(row)
        out.citations.append(cite)
        if sig is not None:
            mr = sig.setup == "MR"
            journal.update(
                signal_z=tools._r(sig.z),
                arm_z=tools._r(sig.mr_arm_z if mr else sig.tc_arm_z),
                trigger_z=tools._r(sig.mr_trigger_z if mr else sig.tc_trigger_z),
                stop_price=tools._m(sig.stop_price),
                target_price=tools._m(sig.target_price),
                validation=sig.status,
                signal_time=tools.ny_time(sig.signal_time),
            )
            out.citations.append(Citation("signal", sig.client_order_id, day, sig.symbol))
            advice = queries.latest_analysis(sig.signal_time)
            if advice is not None and advice.session_date == day:
                journal.update(
                    analysis=advice.market_assessment,
                    analysis_confidence=tools._r(advice.confidence),
                    analysis_time=tools.ny_time(advice.timestamp),
                )
                out.citations.append(
                    Citation("analysis", tools._utc_id(advice.timestamp), day, None)
                )
        for b in queries.daily_bias(day, row["symbol"]):
            journal.update(bias=b.bias, bias_confidence=tools._r(b.confidence))
            out.citations.append(Citation("daily_bias", f"{day}:{b.symbol}", day, b.symbol))
        out.rows.append(journal)
    if out.rows:
        first = out.rows[0]
        out.texts = retrieve(
            queries,
            q.text,
            run_id,
            symbol=first["symbol"],
            start=date.fromisoformat(first["date"]),
            end=date.fromisoformat(first["date"]),
        )
        out.citations += [
            Citation("document", f"{t.kind}:{t.record_id}", t.date, t.symbol) for t in out.texts
        ]
    return out
