"""The repository's foundation: the connection, run scoping and the bulk-write helpers.

Every other part of ``Repository`` (``repo_runs``, ``repo_analysis``, ``repo_orders``,
``repo_trading``, ``repo_reads``) writes through these: ``_write_many`` (idempotent upsert,
COPY through a staging table on PostgreSQL from ``_COPY_MIN_ROWS`` rows) and
``insert_new_rows`` (plain bulk insert for a run just deleted; ``replay_store`` uses it).
Kept apart so the SQL shape of a write is defined once, for both engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llm_advisor.storage.codec import Codec
from llm_advisor.storage.db import Cursor, PostgresDatabase, SqliteDatabase
from llm_advisor.storage.records import (
    LIVE_RUN,
)

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


class RepositoryBase:
    """The state every repository part shares (database, engine, codec, the run it is
    scoped to) and the writes they all go through."""

    db: SqliteDatabase | PostgresDatabase
    engine: str  # as ``PortfolioQueriesImpl`` declares it (the other base of Repository)
    codec: Codec
    scope_run_id: str | None

    def __init__(self, db: SqliteDatabase | PostgresDatabase, scope_run_id: str | None = None):
        self.db = db
        self.engine = db.engine
        self.codec = Codec(db.engine)
        self.scope_run_id = scope_run_id

    def _run(self, run_id: str | None) -> str:
        """The run a write or a per-run read goes to: the explicit one, else the run this
        repository is scoped to (``scoped``), else the live account's ``'live'``."""
        return run_id or self.scope_run_id or LIVE_RUN

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
