"""The chat eval's oracle: expected answers computed by SQL on the database file.

Why apart from the question set and the runner: an answer is judged against figures this
module computes with its own SQL, never through the chat's queries, so a bug in those
queries cannot grade itself. ``expect_*`` build the check of one case.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any


def money(x: Decimal, signed: bool = False) -> str:
    q = x.quantize(Decimal("0.01"))
    sign = "-" if q < 0 else ("+" if signed and q > 0 else "")
    return f"{sign}${abs(q):,.2f}"


@dataclass
class Case:
    kind: str
    question: str
    run: str | None
    check: Callable[[dict[str, Any]], str | None]  # the answer's JSON -> why it is wrong


class Oracle:
    """Expected answers by SQL on the SQLite file (never through the chat's queries)."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def q(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params).fetchall()

    def trades(self, run: str, start: date, end: date, **f: Any) -> list[tuple[int, Decimal]]:
        sql = "SELECT id, pnl, side, setup, exit_reason FROM trades WHERE run_id = ? AND "
        sql += "session_date BETWEEN ? AND ?"
        params: list[Any] = [run, start.isoformat(), end.isoformat()]
        if f.get("symbol"):
            sql += " AND symbol = ?"
            params.append(f["symbol"])
        out = []
        for tid, pnl, side, setup, reason in self.q(sql + " ORDER BY entry_time, id", *params):
            p = Decimal(pnl)
            if f.get("side") and side != f["side"]:
                continue
            if f.get("setup") and setup != f["setup"]:
                continue
            if f.get("exit_reason") and reason != f["exit_reason"]:
                continue
            if f.get("outcome") == "win" and not p > 0:
                continue
            if f.get("outcome") == "loss" and not p < 0:
                continue
            out.append((int(tid), p))
        return out

    def bias(self, day: date, symbol: str) -> str | None:
        rows = self.q(
            "SELECT bias FROM daily_bias WHERE date = ? AND symbol = ?", day.isoformat(), symbol
        )
        return rows[0][0] if rows else None

    def open_positions(self, run: str) -> int:
        rows = self.q(
            "SELECT COUNT(*) FROM position_history WHERE run_id = ? AND status = 'open'", run
        )
        return int(rows[0][0])

    def analysis(
        self, run: str, before: str, session: date | None = None
    ) -> tuple[str, str] | None:
        sql = (
            "SELECT timestamp, market_assessment FROM market_analysis "
            "WHERE run_id = ? AND timestamp <= ?"
        )
        params: list[Any] = [run, before]
        if session is not None:
            sql += " AND session_date = ?"
            params.append(session.isoformat())
        rows = self.q(sql + " ORDER BY timestamp DESC, id DESC LIMIT 1", *params)
        return (rows[0][0][:19] + "Z", rows[0][1]) if rows else None

    def signals(self, run: str, start: date, end: date, symbol: str | None) -> set[str]:
        sql = (
            "SELECT client_order_id FROM trade_signals "
            "WHERE run_id = ? AND session_date BETWEEN ? AND ?"
        )
        params: list[Any] = [run, start.isoformat(), end.isoformat()]
        if symbol:
            sql += " AND symbol = ?"
            params.append(symbol)
        return {r[0] for r in self.q(sql, *params)}

    def default_run(self) -> str:
        rows = self.q(
            "SELECT run_id FROM runs WHERE kind = 'local' ORDER BY created_at DESC LIMIT 1"
        )
        return str(rows[0][0])

    def replay_run(self) -> str:
        rows = self.q(
            "SELECT run_id FROM runs WHERE kind = 'replay' ORDER BY created_at DESC LIMIT 1"
        )
        return str(rows[0][0])


def _cited(ans: dict[str, Any], kind: str) -> list[str]:
    return [c["id"] for c in ans["citations"] if c["kind"] == kind]


def expect_trades(
    o: Oracle, run: str, start: date, end: date, **f: Any
) -> Callable[[dict[str, Any]], str | None]:
    def check(ans: dict[str, Any]) -> str | None:
        exp = o.trades(run, start, end, **f)
        got = _cited(ans, "trade")
        if sorted(got, key=int) != sorted((str(t) for t, _ in exp), key=int):
            return f"trades cited {got} != expected {[t for t, _ in exp]}"
        if not exp:
            return None if ans["answer"].startswith("No ") else "expected a 'No trades' answer"
        total = money(sum((p for _, p in exp), Decimal(0)), signed=True)
        if total not in ans["answer"] or f"{len(exp)} " not in ans["answer"]:
            return f"answer lacks {len(exp)} trades / {total}"
        return None

    return check


def expect_pnl(
    o: Oracle, run: str, start: date, end: date, symbol: str | None = None
) -> Callable[[dict[str, Any]], str | None]:
    def check(ans: dict[str, Any]) -> str | None:
        exp = o.trades(run, start, end, symbol=symbol)
        if not exp:
            return None if "No closed trades" in ans["answer"] else "expected 'No closed trades'"
        total = money(sum((p for _, p in exp), Decimal(0)), signed=True)
        if total not in ans["answer"] or f"from {len(exp)} trades" not in ans["answer"]:
            return f"answer lacks {total} from {len(exp)} trades"
        return None if ans["citations"] else "no citations"

    return check


def expect_bias(o: Oracle, day: date, symbols: list[str]) -> Callable[[dict[str, Any]], str | None]:
    def check(ans: dict[str, Any]) -> str | None:
        for s in symbols:
            b = o.bias(day, s)
            if b is None and f"{s}" in ans["answer"] and "No daily bias" not in ans["answer"]:
                return f"{s}: no bias stored, answer claims one"
            if b is not None and f"{s} {b}" not in ans["answer"]:
                return f"answer lacks '{s} {b}'"
            if b is not None and f"{day}:{s}" not in _cited(ans, "daily_bias"):
                return f"bias {day}:{s} not cited"
        return None

    return check


def expect_text(
    *needles: str, answerer: str | None = None
) -> Callable[[dict[str, Any]], str | None]:
    def check(ans: dict[str, Any]) -> str | None:
        for n in needles:
            if n.lower() not in ans["answer"].lower():
                return f"answer lacks {n!r}"
        if answerer and ans["answerer"] != answerer:
            return f"answerer {ans['answerer']} != {answerer}"
        return None

    return check


def expect_analysis(
    o: Oracle, run: str, before: str, session: date | None = None
) -> Callable[[dict[str, Any]], str | None]:
    def check(ans: dict[str, Any]) -> str | None:
        exp = o.analysis(run, before, session)
        if exp is None:
            return None if "No market analysis" in ans["answer"] else "expected no analysis"
        ts, assessment = exp
        if _cited(ans, "analysis") != [ts]:
            return f"analysis cited {_cited(ans, 'analysis')} != [{ts}]"
        return None if f": {assessment}," in ans["answer"] else f"answer lacks {assessment}"

    return check


def expect_positions(o: Oracle, run: str) -> Callable[[dict[str, Any]], str | None]:
    def check(ans: dict[str, Any]) -> str | None:
        n = o.open_positions(run)
        if n == 0:
            return None if "No open positions" in ans["answer"] else "expected no open positions"
        return None if f"{n} open position" in ans["answer"] else f"expected {n} open positions"

    return check


def expect_signals(
    o: Oracle, run: str, start: date, end: date, symbol: str | None
) -> Callable[[dict[str, Any]], str | None]:
    def check(ans: dict[str, Any]) -> str | None:
        exp = o.signals(run, start, end, symbol)
        got = set(_cited(ans, "signal"))
        return None if got == exp else f"signals cited {len(got)} != expected {len(exp)}"

    return check


def expect_why(
    o: Oracle, run: str, start: date, end: date, **f: Any
) -> Callable[[dict[str, Any]], str | None]:
    def check(ans: dict[str, Any]) -> str | None:
        exp = o.trades(run, start, end, **f)[:3]
        if not exp:
            return None if "no decision to explain" in ans["answer"] else "expected no trade"
        got = _cited(ans, "trade")
        if got != [str(t) for t, _ in exp]:
            return f"why cited trades {got} != {[t for t, _ in exp]}"
        if not _cited(ans, "signal"):
            return "the signal is not cited"
        return None if f"Trade #{exp[0][0]}" in ans["answer"] else "answer lacks the trade"

    return check
