"""Runs: the record every other row hangs off (``run_id``), and removing one whole.

A replay, a sweep point, a local day and the live account each write under their own run;
deleting a run clears every run table and refreshes the P/L rollup of its days. ``count``
lives here because it is checked against the same table list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from llm_advisor.core.errors import DataError
from llm_advisor.storage import codec as c
from llm_advisor.storage import pnl_rollup
from llm_advisor.storage.db import Cursor
from llm_advisor.storage.records import (
    MODE_OF_KIND,
    RunKind,
    RunRecord,
)
from llm_advisor.storage.repo_base import RUN_TABLES, RepositoryBase, _insert_sql


class RunsMixin(RepositoryBase):
    """Save, ensure, read and delete runs; rebuild the P/L rollup; count rows."""

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
