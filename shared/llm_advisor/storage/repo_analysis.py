"""What the advisor decided before and around the trading: premarket bias and snapshots,
the market analysis, the LLM call ledger and the per-signal validations.

These are the LLM side's records (cost, verdicts, multipliers), written far less often than
the engine's events and read by the budget meter and the reports; kept apart from the
trading writes so each part stays readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from llm_advisor.core.errors import DataError
from llm_advisor.core.models import (
    Advice,
    AnalysisResult,
    Snapshot,
)
from llm_advisor.storage import codec as c
from llm_advisor.storage import writes as w
from llm_advisor.storage.repo_base import RepositoryBase, _insert_sql


class AnalysisMixin(RepositoryBase):
    """Premarket, market-analysis, LLM-ledger and validation records."""

    # ------------------------------------------------------------ premarket
    def save_daily_bias(self, rows: Iterable[Any]) -> int:
        encoded = [w.bias_row(self.codec, r) for r in rows]
        with self.db.transaction() as cur:
            self._write_many(cur, "daily_bias", w.BIAS_COLS, ("date", "symbol"), encoded)
        return len(encoded)

    def save_premarket_snapshots(self, rows: Iterable[Snapshot | Mapping[str, Any]]) -> int:
        encoded = [w.snapshot_row(self.codec, r) for r in rows]
        with self.db.transaction() as cur:
            self._write_many(
                cur, "premarket_snapshots", w.SNAPSHOT_COLS, ("session_date", "symbol"), encoded
            )
        return len(encoded)

    def delete_premarket_day(self, day: date) -> int:
        """Remove a date's ``daily_bias`` and ``premarket_snapshots`` rows (a premarket rerun
        replaces the whole day, so a symbol it no longer covers keeps no stale row)."""
        d = self.codec.day(c.day(day, "day"))
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM daily_bias WHERE date = ?", (d,))
            n = max(cur.rowcount, 0)
            cur.execute("DELETE FROM premarket_snapshots WHERE session_date = ?", (d,))
            return n + max(cur.rowcount, 0)

    def get_premarket_snapshots(self, session_date: date) -> dict[str, Snapshot]:
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join(w.SNAPSHOT_COLS)} FROM premarket_snapshots "
                "WHERE session_date = ? ORDER BY symbol",
                (k.day(session_date),),
            )
            rows = cur.fetchall()
        out: dict[str, Snapshot] = {}
        for r in rows:
            d = dict(zip(w.SNAPSHOT_COLS, r, strict=True))
            d["session_date"] = k.day_out(d["session_date"]).isoformat()  # type: ignore[union-attr]
            d["atr_5m_warmup"] = tuple(k.json_out(d["atr_5m_warmup"]) or ())
            out[d["symbol"]] = Snapshot(**d)
        return out

    # ------------------------------------------------------------ market analysis
    def save_market_analysis(
        self,
        timestamp: datetime,
        session_date: date | str,
        provider: str,
        model: str | None,
        result: AnalysisResult,
        advice: Advice,
    ) -> None:
        t = "market_analysis"
        k = self.codec
        m = advice.multipliers
        cols = (
            "timestamp", "session_date", "provider", "model", "market_assessment", "confidence",
            "mult_mr_arm", "mult_mr_trigger", "mult_tc_arm", "mult_tc_trigger", "per_symbol",
            "opportunities", "reasoning", "interval_minutes", "source", "run_id",
        )  # fmt: skip
        row = (
            k.ts(c.utc(timestamp, f"{t}.timestamp")),
            k.day(c.day(session_date, f"{t}.session_date")),
            c.text(provider, f"{t}.provider"),
            model,
            c.text(result.market_assessment, f"{t}.market_assessment", w.ASSESSMENTS),
            c.number(result.confidence, f"{t}.confidence"),
            m.mr_arm,
            m.mr_trigger,
            m.tc_arm,
            m.tc_trigger,
            k.json({s: v.model_dump() for s, v in advice.per_symbol.items()}),
            k.json(list(result.opportunities)),
            result.reasoning,
            advice.interval_minutes,
            advice.source,
            self._run(None),
        )
        with self.db.transaction() as cur:
            cur.execute(_insert_sql(t, cols, ("timestamp", "provider"), True), row)

    # ------------------------------------------------------------ LLM ledger
    _LLM_COLS = (
        "request_hash", "provider", "model", "request", "response", "tokens_in", "tokens_out",
        "cost_usd", "latency_ms", "error", "decision_time", "created_at",
    )  # fmt: skip

    def save_llm_call(self, record: Any) -> None:
        """Append one ledger row (re-saving the same record is a no-op)."""
        t = "llm_calls"
        d = w.as_dict(record)
        k = self.codec
        cost = c.decimal(d.get("cost_usd", 0), f"{t}.cost_usd")
        if cost < 0:
            raise DataError(f"{t}.cost_usd={cost}: must be >= 0")
        row = (
            c.text(d.get("request_hash"), f"{t}.request_hash"),
            c.text(d.get("provider"), f"{t}.provider"),
            str(d.get("model") or ""),
            k.json(d.get("request") or {}),
            k.json(d.get("response")),
            c.integer(d.get("tokens_in", 0), f"{t}.tokens_in", minimum=0),
            c.integer(d.get("tokens_out", 0), f"{t}.tokens_out", minimum=0),
            k.dec(cost),
            c.integer(
                round(c.number(d.get("latency_ms", 0), f"{t}.latency_ms")), f"{t}.latency_ms", 0
            ),
            d.get("error"),
            k.ts(c.utc(d.get("decision_time"), f"{t}.decision_time")),
            k.ts(c.utc(d.get("created_at"), f"{t}.created_at")),
        )
        with self.db.transaction() as cur:
            cur.execute(_insert_sql(t, self._LLM_COLS, ("request_hash", "created_at"), False), row)

    def get_llm_call(self, request_hash: str) -> dict[str, Any] | None:
        """The latest ledger row of ``request_hash`` as a dict of the llm_calls fields."""
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join(self._LLM_COLS)} FROM llm_calls WHERE request_hash = ? "
                "ORDER BY created_at DESC, id DESC LIMIT 1",
                (request_hash,),
            )
            r = cur.fetchone()
        if r is None:
            return None
        k = self.codec
        d = dict(zip(self._LLM_COLS, r, strict=True))
        d["request"] = k.json_out(d["request"])
        d["response"] = k.json_out(d["response"])
        d["cost_usd"] = k.dec_out(d["cost_usd"])
        d["decision_time"] = k.ts_out(d["decision_time"])
        d["created_at"] = k.ts_out(d["created_at"])
        return d

    def llm_spent_usd(self, start: datetime, end: datetime) -> Decimal:
        """Cost of the calls created in [start, end) (the budget's meter)."""
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT cost_usd FROM llm_calls WHERE created_at >= ? AND created_at < ?",
                (k.ts(c.utc(start, "start")), k.ts(c.utc(end, "end"))),
            )
            rows = cur.fetchall()
        return sum((Decimal(str(r[0])) for r in rows), Decimal(0))

    def save_llm_validation(
        self,
        client_order_id: str,
        symbol: str,
        signal_time: datetime,
        verdict: str,
        decided_at: datetime,
        provider: str = "",
        model: str | None = None,
        request_hash: str | None = None,
        reasoning: str = "",
        run_id: str | None = None,
    ) -> None:
        run_id = self._run(run_id)
        t = "llm_validations"
        k = self.codec
        cols = (
            "run_id", "client_order_id", "symbol", "signal_time", "verdict", "provider",
            "model", "request_hash", "reasoning", "decided_at",
        )  # fmt: skip
        row = (
            run_id,
            c.text(client_order_id, f"{t}.client_order_id"),
            c.symbol(symbol, f"{t}.symbol"),
            k.ts(c.utc(signal_time, f"{t}.signal_time")),
            c.text(verdict, f"{t}.verdict", w.VERDICTS),
            provider,
            model,
            request_hash,
            reasoning,
            k.ts(c.utc(decided_at, f"{t}.decided_at")),
        )
        with self.db.transaction() as cur:
            cur.execute(_insert_sql(t, cols, ("run_id", "client_order_id"), True), row)

    def save_validations(self, records: Iterable[Any], run_id: str | None = None) -> int:
        """A tick's (or a replay's) verdicts (``live.validation.ValidationRecord``), one
        transaction; keyed by the signal's client_order_id, so a rerun rewrites the same rows.
        Each row carries its confidence, latency and cost (the LLM call's ``llm_calls`` row,
        same ``request_hash``, has the prompt and reply)."""
        run_id = self._run(run_id)
        t = "llm_validations"
        k = self.codec
        cols = (
            "run_id", "client_order_id", "symbol", "signal_time", "verdict", "provider",
            "model", "request_hash", "reasoning", "decided_at", "confidence", "latency_ms",
            "cost_usd",
        )  # fmt: skip
        rows = [
            (
                run_id,
                c.text(r.client_order_id, f"{t}.client_order_id"),
                c.symbol(r.symbol, f"{t}.symbol"),
                k.ts(c.utc(r.signal_time, f"{t}.signal_time")),
                c.text(r.verdict, f"{t}.verdict", w.VERDICTS),
                r.provider,
                r.model,
                r.request_hash,
                r.reasoning,
                k.ts(c.utc(r.decided_at, f"{t}.decided_at")),
                None if r.confidence is None else c.number(r.confidence, f"{t}.confidence"),
                c.integer(r.latency_ms, f"{t}.latency_ms", minimum=0),
                k.dec(_non_negative(c.decimal(r.cost_usd, f"{t}.cost_usd"), f"{t}.cost_usd")),
            )
            for r in records
        ]
        if rows:
            with self.db.transaction() as cur:
                self._write_many(cur, t, cols, ("run_id", "client_order_id"), rows)
        return len(rows)

    def get_validations(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """The run's verdicts, oldest signal first (tests, reports)."""
        k = self.codec
        cols = ("client_order_id", "symbol", "signal_time", "verdict", "provider", "model",
                "request_hash", "reasoning", "decided_at", "confidence", "latency_ms",
                "cost_usd")  # fmt: skip
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join(cols)} FROM llm_validations WHERE run_id = ? "
                "ORDER BY signal_time, client_order_id",
                (self._run(run_id),),
            )
            out = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        for d in out:
            d["signal_time"] = k.ts_out(d["signal_time"])
            d["decided_at"] = k.ts_out(d["decided_at"])
            d["cost_usd"] = k.dec_out(d["cost_usd"])
        return out


def _non_negative(value: Decimal, field: str) -> Decimal:
    """Money spent is never negative: a bad record is refused naming its column."""
    if value < 0:
        raise DataError(f"{field}={value}: must be >= 0")
    return value
