"""The pgvector path: the SQL it would issue (this machine's PostgreSQL has no extension)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

from llm_advisor.rag import pgvector
from llm_advisor.rag.embedders import HashingEmbedder
from llm_advisor.rag.retrieval import search


class FakeCursor:
    def __init__(self, available: bool, column: bool = False, fail_create: bool = False):
        self.sql: list[tuple[str, tuple[Any, ...]]] = []
        self.available, self.column, self.fail_create = available, column, fail_create
        self._rows: list[Any] = []

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.sql.append((sql, tuple(params)))
        if sql == pgvector.AVAILABLE_SQL:
            self._rows = [(1,)] if self.available else []
        elif sql == pgvector.COLUMN_SQL:
            self._rows = [(1,)] if self.column else []
        elif sql.startswith("CREATE EXTENSION") and self.fail_create:
            raise PermissionError("permission denied to create extension")
        elif "embedding_vec <=>" in sql:
            self._rows = [("trade:live:X", 0.93)]
        elif sql.startswith("SELECT doc_id, kind"):
            self._rows = [("trade:live:X", "trade", "X", date(2024, 3, 5), "NVDA", "live", "t")]
        else:
            self._rows = []

    def executemany(self, sql: str, rows: Any) -> None:
        self.sql.append((sql, tuple(rows)))

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return list(self._rows)


class FakeDb:
    engine = "postgres"
    conninfo = "postgresql://fake/db"

    def __init__(self, cur: FakeCursor) -> None:
        self.cur = cur

    def transaction(self) -> Any:
        import contextlib

        @contextlib.contextmanager
        def tx() -> Any:
            yield self.cur

        return tx()


def _statements(cur: FakeCursor) -> list[str]:
    return [s for s, _ in cur.sql]


def test_enables_the_extension_and_column_only_when_available() -> None:
    cur = FakeCursor(available=True)
    assert pgvector.enabled(FakeDb(cur), cur, create=True)
    assert _statements(cur) == [
        pgvector.COLUMN_SQL,
        pgvector.AVAILABLE_SQL,
        "SAVEPOINT rag_pgvector",
        "CREATE EXTENSION IF NOT EXISTS vector",
        "ALTER TABLE rag_documents ADD COLUMN IF NOT EXISTS embedding_vec vector",
        "RELEASE SAVEPOINT rag_pgvector",
    ]


def test_stays_portable_when_the_extension_is_not_available() -> None:
    cur = FakeCursor(available=False)
    assert not pgvector.enabled(FakeDb(cur), cur, create=True)
    assert not any("CREATE EXTENSION" in s for s in _statements(cur))


def test_stays_portable_when_the_extension_cannot_be_created() -> None:
    cur = FakeCursor(available=True, fail_create=True)
    assert not pgvector.enabled(FakeDb(cur), cur, create=True)
    assert _statements(cur)[-1] == "ROLLBACK TO SAVEPOINT rag_pgvector"


def test_sync_writes_vector_literals() -> None:
    cur = FakeCursor(available=True, column=True)
    n = pgvector.sync_vectors(FakeDb(cur), cur, [("d1", np.array([0.5, -0.25], np.float32))])
    assert n == 1 and cur.sql[-1] == (pgvector.UPDATE_SQL, (("[0.5,-0.25]", "d1"),))


def test_search_orders_by_cosine_distance_when_the_column_exists() -> None:
    cur = FakeCursor(available=True, column=True)
    emb = HashingEmbedder(dim=8)
    hits = search(FakeDb(cur), "NVDA short", k=3, symbol="NVDA", run_id="live", embedder=emb)
    sql, params = next((s, p) for s, p in cur.sql if "<=>" in s)
    assert "ORDER BY embedding_vec <=> CAST(%s AS vector) LIMIT %s" in sql.replace("?", "%s")
    assert "embedder = ? AND dim = ?" in sql and "symbol = ?" in sql
    assert params[1:3] == ("hash-fallback-v1", 8) and params[-1] == 3
    assert params[0] == params[-2] and params[0].startswith("[")
    assert [(h.record_id, h.score) for h in hits] == [("X", 0.93)]


@pytest.mark.postgres
def test_real_postgres_without_the_extension_stays_portable(pg_repo) -> None:  # type: ignore[no-untyped-def]
    with pg_repo.db.transaction() as cur:
        cur.execute(pgvector.AVAILABLE_SQL)
        if cur.fetchone() is not None:
            return  # this server has pgvector: the fake-cursor tests cover the SQL
        assert not pgvector.enabled(pg_repo.db, cur, create=True)
