"""``rag_documents``: the exported documents with their embeddings, on both engines.

Vectors are stored as little-endian float32 bytes (``blob`` / ``bytea``) with the
embedder's name and width, so search compares a query only with vectors of the same model.
``save_day`` is idempotent: a document whose text and embedder are unchanged is neither
re-embedded nor rewritten (no second Titan call, same ``updated_at``), a changed one is
overwritten under the same ``doc_id``, and a document of the day that the records no longer
produce is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from llm_advisor.rag.documents import RagDocument
from llm_advisor.rag.embedding import Embedder, Vectors
from llm_advisor.storage import codec as c
from llm_advisor.storage.codec import Codec, dumps

COLS = (
    "doc_id", "kind", "record_id", "run_id", "date", "symbol", "text", "metadata",
    "embedding", "embedder", "dim", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class SaveResult:
    embedded: int
    unchanged: int
    deleted: int


def database(db: Any) -> Any:
    """The ``SqliteDatabase``/``PostgresDatabase`` of ``db`` (a Repository is accepted too)."""
    inner = getattr(db, "db", None)
    if inner is not None and hasattr(inner, "transaction"):
        return inner
    if not hasattr(db, "transaction"):
        raise TypeError(f"db={type(db).__name__}: expected a Database or a Repository")
    return db


def to_blob(vec: Vectors) -> bytes:
    return np.asarray(vec, dtype="<f4").tobytes()


def from_blobs(blobs: Sequence[bytes], dim: int) -> Vectors:
    """Stack stored vectors into one ``(n, dim)`` float32 matrix (one copy)."""
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    joined = b"".join(bytes(b) for b in blobs)
    return np.frombuffer(joined, dtype="<f4").reshape(len(blobs), dim).astype(np.float32)


def _scope_sql(run_id: str | None) -> tuple[str, list[Any]]:
    if run_id is None:
        return "", []
    return " AND (run_id = ? OR run_id IS NULL)", [run_id]


def save_day(
    db: Any,
    day: date,
    docs: Iterable[RagDocument],
    embedder: Embedder,
    now: datetime,
    run_id: str | None = None,
) -> SaveResult:
    """Replace the day's documents (of ``run_id`` and the shared ones, or of every run)."""
    base = database(db)
    k = Codec(base.engine)
    docs = list(docs)
    scope, params = _scope_sql(run_id)
    with base.transaction() as cur:
        cur.execute(
            f"SELECT doc_id, text, embedder FROM rag_documents WHERE date = ?{scope}",
            (k.day(day), *params),
        )
        existing = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
    fresh = [d for d in docs if existing.get(d.doc_id) != (d.text, embedder.name)]
    vectors = embedder.embed([d.text for d in fresh]) if fresh else None
    keep = {d.doc_id for d in docs}
    stale = [doc_id for doc_id in existing if doc_id not in keep]
    stamp = k.ts(c.utc(now, "now"))
    rows = [
        (
            d.doc_id,
            d.kind,
            d.record_id,
            d.run_id,
            k.day(d.date),
            d.symbol,
            d.text,
            k.json(d.metadata()),
            to_blob(vectors[i]) if vectors is not None else b"",
            embedder.name,
            embedder.dim,
            stamp,
        )
        for i, d in enumerate(fresh)
    ]
    sets = ", ".join(f"{col} = excluded.{col}" for col in COLS if col != "doc_id")
    sql = (
        f"INSERT INTO rag_documents ({', '.join(COLS)}) VALUES ({', '.join('?' * len(COLS))}) "
        f"ON CONFLICT (doc_id) DO UPDATE SET {sets}"
    )
    with base.transaction() as cur:
        if stale:
            cur.executemany("DELETE FROM rag_documents WHERE doc_id = ?", [(s,) for s in stale])
        if rows:
            cur.executemany(sql, rows)
        if base.engine == "postgres" and fresh:
            from llm_advisor.rag import pgvector

            assert vectors is not None
            pgvector.sync_vectors(base, cur, [(d.doc_id, vectors[i]) for i, d in enumerate(fresh)])
    return SaveResult(embedded=len(fresh), unchanged=len(docs) - len(fresh), deleted=len(stale))


def metadata_json(doc: RagDocument) -> str:
    return dumps(doc.metadata())
