"""The trading record: one repository over SQLite or PostgreSQL, chosen by URL.

Every write is an idempotent upsert keyed by the record's natural key (client_order_id,
(run_id, symbol, signal_time, setup, side), (date, symbol), ...), so re-running premarket, a
replay or a retried Lambda never duplicates rows. Records carry a ``run_id``; live trading
writes under ``'live'``. The read side (``PortfolioQueries``) lives in ``queries.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from llm_advisor.alpaca.reconcile import ClosedPosition, HeldPosition
from llm_advisor.core.errors import DataError
from llm_advisor.core.models import (
    Advice,
    AnalysisResult,
    Fill,
    Position,
    Setup,
    Side,
    Signal,
    Snapshot,
    State,
    Trade,
    TradePlan,
    Transition,
)
from llm_advisor.storage import codec as c
from llm_advisor.storage import pnl_rollup
from llm_advisor.storage import writes as w
from llm_advisor.storage.codec import Codec
from llm_advisor.storage.db import Cursor, PostgresDatabase, SqliteDatabase, connect
from llm_advisor.storage.migrate import current_version, migrate
from llm_advisor.storage.queries import PortfolioQueriesImpl
from llm_advisor.storage.records import (
    LIVE_RUN,
    MODE_OF_KIND,
    EquitySnapshot,
    RunKind,
    RunRecord,
)
from llm_advisor.storage.urls import parse_url

_COPY_MIN_ROWS = 500  # below this, executemany beats the COPY + staging-table round trips

RUN_TABLES = (
    "order_status_history",
    "fills",
    "trades",
    "orders",
    "trade_signals",
    "live_loop_logs",
    "live_loop_minutes",
    "equity_snapshots",
    "llm_validations",
    "positions",
    "position_history",
    "bar_quarantine",
    "loop_heartbeats",
    "alert_log",
    "truth_divergences",
    "truth_days",
    "rag_documents",
)


# Append a status to an order's history only when it differs from the latest one.
_HISTORY_SQL = (
    "INSERT INTO order_status_history "
    "(run_id, client_order_id, status, filled_qty, filled_avg_price, at, note) "
    "SELECT ?, ?, ?, ?, ?, ?, ? WHERE COALESCE(("
    "SELECT h.status FROM order_status_history h WHERE h.run_id = ? AND h.client_order_id = ? "
    "AND h.at <= ? ORDER BY h.at DESC, h.id DESC LIMIT 1), '') <> ? "
    "ON CONFLICT (run_id, client_order_id, status, at) DO NOTHING"
)


_HISTORY_COLS = (
    "run_id", "client_order_id", "status", "filled_qty", "filled_avg_price", "at", "note",
)  # fmt: skip


def _placeholders(n: int) -> str:
    return ", ".join("?" * n)


def _insert_sql(
    table: str,
    cols: Sequence[str],
    key: Sequence[str],
    update: bool,
    keep_existing: Sequence[str] = (),
) -> str:
    """INSERT ... ON CONFLICT (key) DO UPDATE/NOTHING (same text on both engines)."""
    sql = (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({_placeholders(len(cols))}) "
        f"ON CONFLICT ({', '.join(key)}) "
    )
    sets = [
        f"{col} = COALESCE(excluded.{col}, {table}.{col})"
        if col in keep_existing
        else f"{col} = excluded.{col}"
        for col in cols
        if col not in key
    ]
    if update and sets:
        return sql + "DO UPDATE SET " + ", ".join(sets)
    return sql + "DO NOTHING"


class Repository(PortfolioQueriesImpl):
    """Typed save/get per entity plus the portfolio queries, on either engine."""

    def __init__(self, db: SqliteDatabase | PostgresDatabase, scope_run_id: str | None = None):
        self.db = db
        self.engine = db.engine
        self.codec = Codec(db.engine)
        self.scope_run_id = scope_run_id

    # ------------------------------------------------------------ lifecycle
    def migrate(self) -> list[int]:
        return migrate(self.db)

    def schema_version(self) -> int:
        return current_version(self.db)

    def close(self) -> None:
        self.db.close()

    def scoped(self, run_id: str | None) -> Repository:
        """The same database with the portfolio queries restricted to one run."""
        return Repository(self.db, scope_run_id=run_id)

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ generic helpers
    def _write_many(
        self,
        cur: Cursor,
        table: str,
        cols: Sequence[str],
        key: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        update: bool = True,
    ) -> None:
        if not rows:
            return
        if self.engine == "postgres" and len(rows) >= _COPY_MIN_ROWS:
            self._copy_upsert(cur, table, cols, key, rows, update)
            return
        cur.executemany(_insert_sql(table, cols, key, update), rows)

    def _copy_upsert(
        self,
        cur: Cursor,
        table: str,
        cols: Sequence[str],
        key: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        update: bool,
    ) -> None:
        """COPY into a temp staging table, then one INSERT ... SELECT ... ON CONFLICT."""
        raw = cur.raw  # type: ignore[attr-defined]
        stage = f"_stage_{table}"
        raw.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} "
            f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        collist = ", ".join(cols)
        with raw.copy(f"COPY {stage} ({collist}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        sets = ", ".join(f"{col} = excluded.{col}" for col in cols if col not in key)
        action = f"DO UPDATE SET {sets}" if update and sets else "DO NOTHING"
        # DO UPDATE may not touch a row twice in one command: keep one staged row per key
        # (DISTINCT ON). DO NOTHING skips in-batch duplicates by itself and needs no sort.
        if update and sets:
            select = (
                f"SELECT DISTINCT ON ({', '.join(key)}) {collist} FROM {stage} "
                f"ORDER BY {', '.join(key)}, ctid DESC"
            )
        else:
            select = f"SELECT {collist} FROM {stage}"
        raw.execute(
            f"INSERT INTO {table} ({collist}) {select} ON CONFLICT ({', '.join(key)}) {action}"
        )
        raw.execute(f"TRUNCATE {stage}")

    def insert_new_rows(
        self,
        cur: Cursor,
        table: str,
        cols: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        checks: bool = True,
    ) -> None:
        """Bulk insert of rows whose keys the table cannot hold yet (``record_replay`` has
        just deleted their run, in this transaction, under the write lock): no ``ON
        CONFLICT``, so an impossible duplicate fails loudly instead of merging.

        PostgreSQL: one binary COPY straight into the table (no staging table; the server
        parses no text times or numbers, half of its work), every constraint enforced.
        SQLite: one ``executemany``; ``checks=False`` skips the CHECK constraints for it,
        for rows ``writes`` has checked against the same rules (the ``IN (...)`` lists cost
        SQLite 3.40 ~4 us a row, half of the insert; ``tests/storage/test_replay_bulk.py``
        compares the rules with the migrations). NOT NULL, STRICT types and UNIQUE apply.
        """
        if not rows:
            return
        names = ", ".join(cols)
        if self.engine == "postgres":
            raw = cur.raw  # type: ignore[attr-defined]  # psycopg's cursor behind _PgCursor
            raw.execute(
                "SELECT attname, atttypid::int FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (table,),
            )
            oids = dict(raw.fetchall())
            with raw.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types([oids[col] for col in cols])
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({_placeholders(len(cols))})"
        if checks:
            cur.executemany(sql, rows)
            return
        cur.execute("PRAGMA ignore_check_constraints")
        was_ignoring = cur.fetchone()[0]
        cur.execute("PRAGMA ignore_check_constraints = ON")
        try:
            cur.executemany(sql, rows)
        finally:
            cur.execute(f"PRAGMA ignore_check_constraints = {'ON' if was_ignoring else 'OFF'}")

    # ------------------------------------------------------------ runs
    def save_run(self, record: RunRecord | Mapping[str, Any]) -> None:
        run = record if isinstance(record, RunRecord) else RunRecord(**dict(record))
        k = self.codec
        row = (
            run.run_id,
            run.mode,
            run.kind,
            run.label,
            run.config_hash,
            k.json(run.config),
            run.code_version,
            k.day(run.start_date),
            k.day(run.end_date),
            k.json([c.symbol(s, "runs.symbols") for s in run.symbols]),
            k.json(run.summary),
            k.ts(c.utc(run.created_at, "runs.created_at")),
        )
        cols = (
            "run_id", "mode", "kind", "label", "config_hash", "config", "code_version",
            "start_date", "end_date", "symbols", "summary", "created_at",
        )  # fmt: skip
        with self.db.transaction() as cur:
            cur.execute(_insert_sql("runs", cols, ("run_id",), True), row)

    def ensure_run(self, run_id: str, kind: RunKind, label: str, created_at: datetime) -> None:
        """Create the run an account or local day writes into, or correct its kind/label.

        The live paths call this once per process (a Lambda cold start): their run has no
        end, so dates and summary stay empty and the API derives them from the records.
        ``created_at`` of an existing run is kept."""
        run = RunRecord(
            run_id=run_id, mode=MODE_OF_KIND[kind], kind=kind, label=label, created_at=created_at
        )
        cols = ("run_id", "mode", "kind", "label", "created_at")
        row = (run.run_id, run.mode, run.kind, run.label, self.codec.ts(c.utc(created_at, "at")))
        sql = _insert_sql("runs", cols, ("run_id",), False).replace(
            "DO NOTHING",
            "DO UPDATE SET mode = excluded.mode, kind = excluded.kind, label = excluded.label",
        )
        with self.db.transaction() as cur:
            cur.execute(sql, row)

    def _run(self, run_id: str | None) -> str:
        """The run a write or a per-run read goes to: the explicit one, else the run this
        repository is scoped to (``scoped``), else the live account's ``'live'``."""
        return run_id or self.scope_run_id or LIVE_RUN

    def get_run(self, run_id: str) -> RunRecord | None:
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT run_id, mode, config_hash, config, code_version, start_date, end_date, "
                "symbols, summary, created_at, kind, label FROM runs WHERE run_id = ?",
                (run_id,),
            )
            r = cur.fetchone()
        if r is None:
            return None
        k = self.codec
        return RunRecord(
            run_id=r[0],
            mode=r[1],
            config_hash=r[2],
            config=k.json_out(r[3]),
            code_version=r[4],
            start_date=k.day_out(r[5]),
            end_date=k.day_out(r[6]),
            symbols=k.json_out(r[7]),
            summary=k.json_out(r[8]),
            created_at=k.ts_out(r[9]),
            kind=r[10],
            label=r[11],
        )

    def delete_run(self, run_id: str, cur: Cursor | None = None) -> None:
        """Remove every record of ``run_id`` (re-recording a replay replaces it)."""
        if cur is None:
            with self.db.transaction() as cur2:
                self.delete_run(run_id, cur2)
            return
        pnl_rollup.lock(cur, self.engine)
        cur.execute("SELECT DISTINCT session_date FROM trades WHERE run_id = ?", (run_id,))
        days = [r[0] for r in cur.fetchall()]
        for table in RUN_TABLES:
            cur.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
        cur.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
        cur.execute("DELETE FROM daily_pnl WHERE run_id = ?", (run_id,))
        pnl_rollup.refresh(cur, self.engine, days)

    def rebuild_pnl_rollup(self) -> None:
        """Recompute the per-day P/L rollup from every trade (after trades were written
        without this repository, e.g. by hand in SQL)."""
        with self.db.transaction() as cur:
            pnl_rollup.lock(cur, self.engine)
            pnl_rollup.rebuild(cur, self.engine)

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

    # ------------------------------------------------------------ engine events
    def save_transitions(
        self, transitions: Iterable[Transition | Mapping[str, Any]], run_id: str | None = None
    ) -> int:
        """Hot path: one batch per tick (or per replay); duplicates of a retried tick ignored."""
        run_id = self._run(run_id)
        rows = w.transition_rows(self.codec, run_id, transitions)
        with self.db.transaction() as cur:
            self._write_many(
                cur,
                "live_loop_logs",
                w.TRANSITION_COLS,
                ("run_id", "symbol", "timestamp", "seq"),
                rows,
                update=False,
            )
        return len(rows)

    def save_minute_log(self, minutes: Iterable[Any], run_id: str | None = None) -> int:
        """The tick's per-minute rows (``storage/minute_log.py``): one transaction per tick,
        COPY on PostgreSQL from 500 rows; a rerun of the tick inserts nothing new."""
        from llm_advisor.storage import minute_log as ml

        rows = ml.minute_rows(self.codec, self._run(run_id), minutes)
        if rows:
            with self.db.transaction() as cur:
                self._write_many(cur, ml.TABLE, ml.COLS, ml.KEY, rows, update=False)
        return len(rows)

    def prune_minute_log(self, before: datetime, run_id: str | None = None) -> int:
        """Delete this run's per-minute rows older than ``before`` (bounded batches)."""
        from llm_advisor.storage import minute_log as ml

        return ml.prune(self.db, self.codec, self._run(run_id), before)

    def save_signals(
        self, signals: Iterable[Signal | Mapping[str, Any]], run_id: str | None = None
    ) -> int:
        run_id = self._run(run_id)
        rows = w.signal_rows(self.codec, run_id, signals)
        with self.db.transaction() as cur:
            self._write_many(
                cur,
                "trade_signals",
                w.SIGNAL_COLS,
                ("run_id", "symbol", "signal_time", "setup", "side"),
                rows,
            )
        return len(rows)

    def save_trades(
        self, trades: Iterable[Trade | Mapping[str, Any]], run_id: str | None = None
    ) -> int:
        run_id = self._run(run_id)
        rows = [w.trade_row(self.codec, run_id, t) for t in trades]
        cols = (
            w.TRADE_COLS
            if self.engine == "postgres"
            else (*w.TRADE_COLS, "pnl_micros", "commission_micros")
        )
        with self.db.transaction() as cur:
            pnl_rollup.lock(cur, self.engine)  # before the insert: see pnl_rollup
            days = {r[1] for r in rows} | self._trade_days(cur, run_id, [r[14] for r in rows])
            self._write_many(cur, "trades", cols, ("run_id", "client_order_id"), rows)
            pnl_rollup.refresh(cur, self.engine, days, [run_id])
        return len(rows)

    def _trade_days(self, cur: Cursor, run_id: str, client_order_ids: Sequence[str]) -> set[Any]:
        """Stored session dates of these trades: a corrected trade may move to another day,
        whose rollup row must be refreshed too."""
        out: set[Any] = set()
        for i in range(0, len(client_order_ids), 500):
            chunk = client_order_ids[i : i + 500]
            cur.execute(
                "SELECT DISTINCT session_date FROM trades WHERE run_id = ? "
                f"AND client_order_id IN ({_placeholders(len(chunk))})",
                (run_id, *chunk),
            )
            out.update(r[0] for r in cur.fetchall())
        return out

    def save_fills(
        self, fills: Iterable[Fill | Mapping[str, Any]], run_id: str | None = None
    ) -> int:
        run_id = self._run(run_id)
        rows = [w.fill_row(self.codec, run_id, f) for f in fills]
        with self.db.transaction() as cur:
            self._write_many(
                cur,
                "fills",
                w.FILL_COLS,
                ("run_id", "client_order_id", "leg", "timestamp", "qty", "price"),
                rows,
                update=False,
            )
        return len(rows)

    def save_equity_snapshots(
        self,
        points: Iterable[EquitySnapshot | tuple[datetime, Decimal] | Mapping[str, Any]],
        run_id: str | None = None,
    ) -> int:
        run_id = self._run(run_id)
        t = "equity_snapshots"
        k = self.codec
        rows: list[tuple[Any, ...]] = []
        for p in points:
            d = {"timestamp": p[0], "equity": p[1]} if isinstance(p, tuple) else w.as_dict(p)
            rows.append(
                (
                    run_id,
                    k.ts(c.utc(d.get("timestamp"), f"{t}.timestamp")),
                    k.dec(c.decimal(d.get("equity"), f"{t}.equity")),
                    *(
                        None if d.get(f) is None else k.dec(c.decimal(d[f], f"{t}.{f}"))
                        for f in ("cash", "realized_pnl", "unrealized_pnl")
                    ),
                )
            )
        cols = ("run_id", "timestamp", "equity", "cash", "realized_pnl", "unrealized_pnl")
        with self.db.transaction() as cur:
            self._write_many(cur, t, cols, ("run_id", "timestamp"), rows)
        return len(rows)

    # ------------------------------------------------------------ orders
    _ORDER_COLS = (
        "run_id", "client_order_id", "broker_order_id", "parent_client_order_id", "leg",
        "symbol", "side", "setup", "qty", "order_type", "order_class", "ref_price",
        "limit_price", "stop_price", "target_price", "status", "filled_qty",
        "filled_avg_price", "signal_time", "session_date", "submitted_at", "updated_at",
    )  # fmt: skip
    _ORDER_KEEP = (
        "broker_order_id", "parent_client_order_id", "setup", "ref_price", "limit_price",
        "stop_price", "target_price", "filled_avg_price", "signal_time", "session_date",
        "submitted_at",
    )  # fmt: skip

    def _order_row(
        self,
        order: Any,
        run_id: str,
        at: datetime,
        status: str | None,
        broker_order_id: str | None,
        parent_client_order_id: str | None,
        leg: str | None,
        cur: Cursor,
    ) -> tuple[Any, ...]:
        t = "orders"
        k = self.codec
        d = w.as_dict(order)
        if (
            isinstance(order, TradePlan)
            or str(getattr(d.get("side"), "value", d.get("side"))) in w.SIDES
        ):
            side = c.text(d.get("side"), f"{t}.side", w.SIDES)
            d = {
                **d,
                "side": "buy" if side == "long" else "sell",
                "order_class": "bracket",
                "order_type": "market",
                "leg": leg or "entry",
            }
        else:  # BrokerOrder-like
            parent_broker = d.get("parent_id")
            if parent_broker and parent_client_order_id is None:
                cur.execute(
                    "SELECT client_order_id FROM orders WHERE broker_order_id = ?",
                    (parent_broker,),
                )
                found = cur.fetchone()
                parent_client_order_id = found[0] if found else None
            d["target_price"] = d.get("target_price")
        ts = c.utc(at, f"{t}.updated_at")
        sig = d.get("signal_time")
        sig_ts = None if sig is None else c.utc(sig, f"{t}.signal_time")
        sess = d.get("session_date")
        filled_avg = d.get("filled_avg_price")
        return (
            run_id,
            c.text(d.get("client_order_id"), f"{t}.client_order_id"),
            broker_order_id or d.get("broker_order_id"),
            parent_client_order_id,
            c.text(leg or d.get("leg") or "entry", f"{t}.leg", w.ORDER_LEGS),
            c.symbol(d.get("symbol"), f"{t}.symbol"),
            c.text(d.get("side"), f"{t}.side", w.ORDER_SIDES),
            None if d.get("setup") is None else c.text(d["setup"], f"{t}.setup", w.SETUPS),
            c.integer(d.get("qty"), f"{t}.qty", minimum=1),
            str(d.get("order_type") or "market"),
            str(d.get("order_class") or "bracket"),
            w._opt_price(k, d, t, "ref_price"),
            w._opt_price(k, d, t, "limit_price"),
            w._opt_price(k, d, t, "stop_price"),
            w._opt_price(k, d, t, "target_price"),
            c.text(status or d.get("status") or "new", f"{t}.status"),
            c.integer(d.get("filled_qty", 0) or 0, f"{t}.filled_qty", minimum=0),
            None if filled_avg is None else k.dec(c.decimal(filled_avg, f"{t}.filled_avg_price")),
            k.ts(sig_ts),
            k.day(None if sess is None else c.day(sess, f"{t}.session_date")),
            k.ts(
                None
                if d.get("submitted_at") is None
                else c.utc(d["submitted_at"], f"{t}.submitted_at")
            ),
            k.ts(ts),
        )

    def upsert_order(
        self,
        order: TradePlan | Any,
        *,
        at: datetime,
        run_id: str | None = None,
        status: str | None = None,
        broker_order_id: str | None = None,
        parent_client_order_id: str | None = None,
        leg: str | None = None,
    ) -> None:
        """Insert or update an order (a ``TradePlan``, a ``BrokerOrder`` or a mapping) and
        append its status to the history when it changed."""
        run_id = self._run(run_id)
        with self.db.transaction() as cur:
            self._upsert_orders(
                cur,
                [(order, status, broker_order_id, parent_client_order_id, leg)],
                run_id,
                at,
            )

    def _upsert_orders(
        self,
        cur: Cursor,
        items: Sequence[tuple[Any, str | None, str | None, str | None, str | None]],
        run_id: str,
        at: datetime,
    ) -> None:
        rows = [self._order_row(o, run_id, at, s, b, p, lg, cur) for o, s, b, p, lg in items]
        cur.executemany(
            _insert_sql(
                "orders",
                self._ORDER_COLS,
                ("run_id", "client_order_id"),
                True,
                keep_existing=self._ORDER_KEEP,
            ),
            rows,
        )
        # a status is new unless it equals the latest one recorded at or before its time (a
        # rerun of the same day must not append what the first run already recorded later)
        hist = [
            (r[0], r[1], r[15], r[16], r[17], r[21], "", r[0], r[1], r[21], r[15]) for r in rows
        ]
        cur.executemany(_HISTORY_SQL, hist)

    def insert_orders(
        self,
        cur: Cursor,
        orders: Sequence[Mapping[str, Any]],
        history: Sequence[tuple[str, str, int, Decimal | None, datetime]],
        run_id: str,
        new_run: bool = False,
    ) -> None:
        """Bulk write of orders (mappings with every orders column) and their history rows
        ``(client_order_id, status, filled_qty, filled_avg_price, at)``; used by replay.
        ``new_run``: the run holds no orders yet (``record_replay``), so distinct keys are
        inserted as they are (``insert_new_rows``) instead of merged into stored rows."""
        rows = [
            self._order_row(
                o,
                run_id,
                o["updated_at"],
                o.get("status"),
                o.get("broker_order_id"),
                o.get("parent_client_order_id"),
                o.get("leg"),
                cur,
            )
            for o in orders
        ]
        k = self.codec
        hist = [
            (
                run_id,
                coid,
                status,
                c.integer(qty, "order_status_history.filled_qty", minimum=0),
                k.dec(price),
                k.ts(c.utc(at, "order_status_history.at")),
                "",
            )
            for coid, status, qty, price, at in history
        ]
        if (
            new_run
            and len({r[1] for r in rows}) == len(rows)
            and len({(h[1], h[2], h[5]) for h in hist}) == len(hist)
        ):
            self.insert_new_rows(cur, "orders", self._ORDER_COLS, rows)
            self.insert_new_rows(cur, "order_status_history", _HISTORY_COLS, hist)
            return
        sql = _insert_sql(
            "orders", self._ORDER_COLS, ("run_id", "client_order_id"), True, self._ORDER_KEEP
        )
        if rows:
            cur.executemany(sql, rows)
        if hist:
            cur.executemany(
                f"INSERT INTO order_status_history ({', '.join(_HISTORY_COLS)}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, client_order_id, status, at) DO NOTHING",
                hist,
            )

    def record_order_status(
        self,
        client_order_id: str,
        status: str,
        at: datetime,
        filled_qty: int | None = None,
        filled_avg_price: Decimal | float | None = None,
        note: str = "",
        run_id: str | None = None,
    ) -> None:
        run_id = self._run(run_id)
        t = "orders"
        k = self.codec
        ts = k.ts(c.utc(at, f"{t}.at"))
        fq = None if filled_qty is None else c.integer(filled_qty, f"{t}.filled_qty", minimum=0)
        fap = (
            None
            if filled_avg_price is None
            else k.dec(c.decimal(filled_avg_price, f"{t}.filled_avg_price"))
        )
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE orders SET status = ?, filled_qty = COALESCE(?, filled_qty), "
                "filled_avg_price = COALESCE(?, filled_avg_price), updated_at = ? "
                "WHERE run_id = ? AND client_order_id = ?",
                (c.text(status, f"{t}.status"), fq, fap, ts, run_id, client_order_id),
            )
            if cur.rowcount == 0:
                raise DataError(
                    f"orders.client_order_id={client_order_id!r}: unknown order (run {run_id!r})"
                )
            cur.execute(
                _HISTORY_SQL,
                (
                    run_id,
                    client_order_id,
                    status,
                    fq or 0,
                    fap,
                    ts,
                    note,
                    run_id,
                    client_order_id,
                    ts,
                    status,
                ),
            )

    def get_order(self, client_order_id: str, run_id: str | None = None) -> dict[str, Any] | None:
        run_id = self._run(run_id)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join(self._ORDER_COLS)} FROM orders "
                "WHERE run_id = ? AND client_order_id = ?",
                (run_id, client_order_id),
            )
            r = cur.fetchone()
            if r is None:
                return None
            cur.execute(
                "SELECT status, filled_qty, at FROM order_status_history "
                "WHERE run_id = ? AND client_order_id = ? ORDER BY at, id",
                (run_id, client_order_id),
            )
            hist = cur.fetchall()
        d = dict(zip(self._ORDER_COLS, r, strict=True))
        for f in ("ref_price", "limit_price", "stop_price", "target_price", "filled_avg_price"):
            d[f] = k.dec_out(d[f])
        for f in ("signal_time", "submitted_at", "updated_at"):
            d[f] = k.ts_out(d[f])
        d["session_date"] = k.day_out(d["session_date"])
        d["history"] = [(h[0], int(h[1]), k.ts_out(h[2])) for h in hist]
        return d

    def child_orders(self, parent_client_order_id: str, run_id: str | None = None) -> list[str]:
        run_id = self._run(run_id)
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT client_order_id FROM orders WHERE run_id = ? "
                "AND parent_client_order_id = ? ORDER BY client_order_id",
                (run_id, parent_client_order_id),
            )
            return [r[0] for r in cur.fetchall()]

    # ------------------------------------------------------------ positions
    def sync_positions(
        self,
        held: Sequence[HeldPosition],
        closed: Sequence[ClosedPosition],
        at: datetime,
        run_id: str | None = None,
    ) -> None:
        """The position monitor's book: open/update what the broker holds, close the rest
        (``storage/positions.py``; the 0001 ``positions`` table is deprecated)."""
        from llm_advisor.storage import positions

        positions.sync_positions(self.db, self.codec, self._run(run_id), held, closed, at)

    def upsert_position(
        self, position: Position | Mapping[str, Any], at: datetime, run_id: str | None = None
    ) -> None:
        """One open position into the book (seeding and tests; the monitor uses
        ``sync_positions``). The unrealized P/L is derived from ``mark_price``."""
        t = "positions"
        d = w.as_dict(position)
        side = c.text(d.get("side"), f"{t}.side", w.SIDES)
        qty = c.integer(d.get("qty"), f"{t}.qty", minimum=1)
        entry = c.decimal(d.get("entry_price"), f"{t}.entry_price")
        mark = None if d.get("mark_price") is None else c.decimal(d["mark_price"], f"{t}.mark")
        sign = 1 if side == "long" else -1
        held = HeldPosition(
            symbol=c.symbol(d.get("symbol"), f"{t}.symbol"),
            side="long" if side == "long" else "short",
            qty=qty,
            entry_price=entry,
            opened_at=c.utc(d.get("entry_time"), f"{t}.entry_time"),
            current_price=mark,
            unrealized_pnl=None if mark is None else (mark - entry) * qty * sign,
            stop_price=None if d.get("stop_price") is None else c.decimal(d["stop_price"], t),
            stop_status=None,
            target_price=None if d.get("target_price") is None else c.decimal(d["target_price"], t),
            target_status=None,
            client_order_id=c.text(d.get("client_order_id"), f"{t}.client_order_id"),
            setup=None if d.get("setup") is None else c.text(d["setup"], f"{t}.setup", w.SETUPS),
        )
        self.sync_positions([held], [], at, run_id)

    def delete_position(self, symbol: str, run_id: str | None = None) -> bool:
        """Forget an open position without closing it (a record written in error)."""
        from llm_advisor.storage import positions

        return positions.delete_open(self.db, self._run(run_id), symbol)

    # ------------------------------------------------------------ typed reads per run
    def get_trades(self, run_id: str | None = None) -> list[Trade]:
        run_id = self._run(run_id)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT symbol, setup, side, signal_time, entry_time, entry_price, exit_time, "
                "exit_price, qty, exit_reason, pnl, client_order_id, commission FROM trades "
                "WHERE run_id = ? ORDER BY entry_time, symbol, id",
                (run_id,),
            )
            rows = cur.fetchall()
        return [
            Trade(
                symbol=r[0],
                setup=Setup(r[1]),
                side=Side(r[2]),
                signal_time=k.ts_out(r[3]),
                entry_time=k.ts_out(r[4]),
                entry_price=k.dec_out(r[5]),
                exit_time=k.ts_out(r[6]),
                exit_price=k.dec_out(r[7]),
                qty=int(r[8]),
                exit_reason=r[9],
                pnl=k.dec_out(r[10]),
                client_order_id=r[11],
                commission=k.dec_out(r[12]),
            )
            for r in rows
        ]

    def get_transitions(self, run_id: str | None = None) -> list[Transition]:
        run_id = self._run(run_id)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT timestamp, symbol, old_state, new_state, z, mr_arm_z, mr_trigger_z, "
                "tc_arm_z, tc_trigger_z, reason FROM live_loop_logs WHERE run_id = ? "
                "ORDER BY timestamp, symbol, seq",
                (run_id,),
            )
            rows = cur.fetchall()
        return [
            Transition(
                timestamp=k.ts_out(r[0]),
                symbol=r[1],
                old_state=State(r[2]),
                new_state=State(r[3]),
                z=r[4],
                mr_arm_z=r[5],
                mr_trigger_z=r[6],
                tc_arm_z=r[7],
                tc_trigger_z=r[8],
                reason=r[9],
            )
            for r in rows
        ]

    def get_fills(self, run_id: str | None = None) -> list[Fill]:
        run_id = self._run(run_id)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT client_order_id, symbol, side, qty, price, timestamp, leg, "
                "broker_order_id FROM fills WHERE run_id = ? ORDER BY timestamp, id",
                (run_id,),
            )
            rows = cur.fetchall()
        return [
            Fill(
                client_order_id=r[0],
                symbol=r[1],
                side=r[2],
                qty=int(r[3]),
                price=k.dec_out(r[4]),
                timestamp=k.ts_out(r[5]),
                leg=r[6],
                broker_order_id=r[7],
            )
            for r in rows
        ]

    def get_signals(self, run_id: str | None = None) -> list[Signal]:
        run_id = self._run(run_id)
        k = self.codec
        cols = [col for col in w.SIGNAL_COLS if col not in ("run_id", "session_date")]
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join(cols)} FROM trade_signals WHERE run_id = ? "
                "ORDER BY signal_time, symbol, id",
                (run_id,),
            )
            rows = cur.fetchall()
        out: list[Signal] = []
        for r in rows:
            d = dict(zip(cols, r, strict=True))
            d["signal_time"] = k.ts_out(d["signal_time"])
            d["equity"] = k.dec_out(d["equity"])
            for f in ("ref_price", "stop_price", "target_price"):
                v = k.dec_out(d[f])
                d[f] = None if v is None else float(v)
            out.append(Signal(**d))
        return out

    def get_equity_curve(self, run_id: str | None = None) -> list[tuple[datetime, Decimal]]:
        run_id = self._run(run_id)
        k = self.codec
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT timestamp, equity FROM equity_snapshots WHERE run_id = ? "
                "ORDER BY timestamp",
                (run_id,),
            )
            rows = cur.fetchall()
        return [(k.ts_out(r[0]), k.dec_out(r[1])) for r in rows]  # type: ignore[misc]

    def count(self, table: str, run_id: str | None = None) -> int:
        """Row count of one table (tests, reports); ``table`` must be a known table."""
        if table not in (
            *RUN_TABLES,
            "runs",
            "daily_bias",
            "premarket_snapshots",
            "market_analysis",
            "llm_calls",
            "schema_version",
            "daily_pnl",
            "daily_pnl_all",
        ):
            raise DataError(f"table={table!r}: unknown table")
        sql = f"SELECT COUNT(*) FROM {table}"
        params: tuple[Any, ...] = ()
        if run_id is not None:
            sql += " WHERE run_id = ?"
            params = (run_id,)
        with self.db.transaction() as cur:
            cur.execute(sql, params)
            return int(cur.fetchone()[0])

    # ------------------------------------------------------------ bar quarantine
    def save_bar_quarantine(
        self, rejects: Iterable[Any], recorded_at: datetime, run_id: str | None = None
    ) -> int:
        """Live bars the tick refused or got too late (``storage/quarantine.py``)."""
        from llm_advisor.storage import quarantine

        run = run_id or self.scope_run_id or LIVE_RUN
        return quarantine.save_bar_quarantine(self.db, self.codec, run, rejects, recorded_at)

    def get_bar_quarantine(self, run_id: str | None = None) -> list[dict[str, Any]]:
        from llm_advisor.storage import quarantine

        run = run_id or self.scope_run_id or LIVE_RUN
        return quarantine.load_bar_quarantine(self.db, self.codec, run)


def open_repository(url: str, migrate_schema: bool = False) -> Repository:
    """Open the database at ``url`` (``sqlite:///path`` or ``postgresql://...``)."""
    repo = Repository(connect(parse_url(url)))
    if migrate_schema:
        repo.migrate()
    return repo


def _non_negative(value: Decimal, field: str) -> Decimal:
    """Money spent is never negative: a bad record is refused naming its column."""
    if value < 0:
        raise DataError(f"{field}={value}: must be >= 0")
    return value
