"""Optional pgvector path on PostgreSQL: an ``embedding_vec vector`` column and ``<=>``.

Feature-detected, never assumed: the extension is created (``CREATE EXTENSION IF NOT
EXISTS vector``) only when the server lists it in ``pg_available_extensions`` and the role
may create it; otherwise everything stays on the portable path (float32 ``bytea`` + numpy
cosine in ``retrieval``). The column is unconstrained ``vector`` because one table holds
vectors of several embedders (Titan 1024, local 384); every query filters on ``embedder``
and ``dim`` first, so ``<=>`` only ever compares vectors of one width. The decision is
cached per connection string for the life of the process.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from llm_advisor.rag.embedding import Vectors

log = logging.getLogger(__name__)

AVAILABLE_SQL = "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
ENABLE_SQL = (
    "CREATE EXTENSION IF NOT EXISTS vector",
    "ALTER TABLE rag_documents ADD COLUMN IF NOT EXISTS embedding_vec vector",
)
COLUMN_SQL = (
    "SELECT 1 FROM information_schema.columns "
    "WHERE table_name = 'rag_documents' AND column_name = 'embedding_vec'"
)
UPDATE_SQL = "UPDATE rag_documents SET embedding_vec = CAST(? AS vector) WHERE doc_id = ?"

_STATE: dict[str, bool] = {}


def literal(vec: Vectors) -> str:
    """pgvector's text form ``[x1,x2,...]`` (float32 round-trips through ``repr``)."""
    return "[" + ",".join(repr(float(x)) for x in np.asarray(vec).ravel()) + "]"


def search_sql(filters: str) -> str:
    """Top-k by cosine distance; ``filters`` are extra ``AND ...`` clauses with ``?``s.

    Parameters, in order: query vector, embedder, dim, the filters' values, query vector, k.
    """
    return (
        "SELECT doc_id, 1 - (embedding_vec <=> CAST(? AS vector)) AS score "
        "FROM rag_documents WHERE embedder = ? AND dim = ? AND embedding_vec IS NOT NULL"
        f"{filters} ORDER BY embedding_vec <=> CAST(? AS vector) LIMIT ?"
    )


def enable(cur: Any) -> bool:
    """Detect, then create the extension and column when possible; True when usable."""
    cur.execute(AVAILABLE_SQL)
    if cur.fetchone() is None:
        return False
    try:
        cur.execute("SAVEPOINT rag_pgvector")
        for stmt in ENABLE_SQL:
            cur.execute(stmt)
        cur.execute("RELEASE SAVEPOINT rag_pgvector")
    except Exception as exc:  # no privilege to create the extension: stay portable
        cur.execute("ROLLBACK TO SAVEPOINT rag_pgvector")
        log.warning("rag: pgvector is available but could not be enabled (%s)", exc)
        return False
    return True


def enabled(db: Any, cur: Any, *, create: bool) -> bool:
    """Whether ``embedding_vec`` exists (creating it first when ``create`` and allowed)."""
    key = str(getattr(db, "conninfo", id(db)))
    state = _STATE.get(key)
    if state is None or (create and not state):
        cur.execute(COLUMN_SQL)
        state = cur.fetchone() is not None
        if not state and create:
            state = enable(cur)
        _STATE[key] = state
    return state


def sync_vectors(db: Any, cur: Any, items: Sequence[tuple[str, Vectors]]) -> int:
    """Copy freshly written vectors into ``embedding_vec`` when the column exists."""
    if not items or not enabled(db, cur, create=True):
        return 0
    cur.executemany(UPDATE_SQL, [(literal(vec), doc_id) for doc_id, vec in items])
    return len(items)
