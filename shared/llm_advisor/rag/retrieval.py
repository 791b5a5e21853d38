"""Similarity search over ``rag_documents``: the chat service's one entry point.

``search`` embeds the query with the same embedder that embedded the documents, narrows
the candidates in SQL (embedder, kind, symbol, date range, run), and ranks them by cosine
similarity: numpy over the candidates' stored float32 vectors on both engines (fine up to
tens of thousands of documents; README has the measured latency), or pgvector's ``<=>`` on
PostgreSQL when the ``embedding_vec`` column exists. Only the top ``k`` texts are read.

A ``run_id`` filter keeps that run's documents plus the per-day ones every run shares (the
bias and premarket documents have no run), mirroring how the API scopes a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from llm_advisor.core.errors import UserError
from llm_advisor.rag import pgvector
from llm_advisor.rag.documents import KINDS
from llm_advisor.rag.embedders import embed_query, resolve_embedder
from llm_advisor.rag.embedding import Embedder
from llm_advisor.rag.store import database, from_blobs
from llm_advisor.storage import codec as c
from llm_advisor.storage.codec import Codec
from llm_advisor.storage.db import pg_sql

__all__ = ["KINDS", "Embedder", "RetrievedDoc", "search"]

MAX_K = 100


@dataclass(frozen=True)
class RetrievedDoc:
    kind: str
    record_id: str
    date: date | None
    symbol: str | None
    run_id: str | None
    text: str
    score: float


def _filters(
    k: Codec,
    kinds: Sequence[str] | None,
    symbol: str | None,
    start: date | None,
    end: date | None,
    run_id: str | None,
) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if kinds is not None:
        bad = [x for x in kinds if x not in KINDS]
        if bad or not kinds:
            raise UserError(f"kinds={list(kinds)!r}: each must be one of {list(KINDS)}")
        where.append(f"kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    if symbol is not None:
        where.append("symbol = ?")
        params.append(c.symbol(symbol.upper(), "symbol"))
    if start is not None:
        where.append("date >= ?")
        params.append(k.day(c.day(start, "start")))
    if end is not None:
        where.append("date <= ?")
        params.append(k.day(c.day(end, "end")))
    if start is not None and end is not None and end < start:
        raise UserError(f"end={end.isoformat()!r} is before start={start.isoformat()!r}")
    if run_id is not None:
        where.append("(run_id = ? OR run_id IS NULL)")
        params.append(run_id)
    return "".join(f" AND {w}" for w in where), params


def search(
    db: Any,
    query: str,
    *,
    k: int = 5,
    kinds: Sequence[str] | None = None,
    symbol: str | None = None,
    start: date | None = None,
    end: date | None = None,
    run_id: str | None = None,
    embedder: Embedder | None = None,
) -> list[RetrievedDoc]:
    """The ``k`` documents most similar to ``query``, best first (score = cosine)."""
    if not isinstance(query, str) or not query.strip():
        raise UserError(f"query={query!r}: must be a non-empty string")
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise UserError(f"k={k!r}: must be an integer in [1, {MAX_K}]")
    base = database(db)
    codec = Codec(base.engine)
    emb = embedder if embedder is not None else resolve_embedder()
    filters, params = _filters(codec, kinds, symbol, start, end, run_id)
    qvec = embed_query(emb, query)[0]
    with base.transaction() as cur:
        if base.engine == "postgres" and pgvector.enabled(base, cur, create=False):
            lit = pgvector.literal(qvec)
            cur.execute(pgvector.search_sql(filters), (lit, emb.name, emb.dim, *params, lit, k))
            ranked = [(str(r[0]), float(r[1])) for r in cur.fetchall()]
        else:
            sql = "SELECT doc_id, embedding FROM rag_documents WHERE embedder = ? AND dim = ?"
            args = (emb.name, emb.dim, *params)
            raw = getattr(cur, "raw", None)
            if raw is not None:  # psycopg: binary results skip bytea's hex text (3x faster)
                raw.execute(pg_sql(sql + filters), args, binary=True)
                rows = list(raw.fetchall())
            else:
                cur.execute(sql + filters, args)
                rows = cur.fetchall()
            ranked = _rank([r[0] for r in rows], from_blobs([r[1] for r in rows], emb.dim), qvec, k)
        if not ranked:
            _explain_empty(cur, emb)
            return []
        marks = ", ".join("?" * len(ranked))
        cur.execute(
            "SELECT doc_id, kind, record_id, date, symbol, run_id, text FROM rag_documents "
            f"WHERE doc_id IN ({marks})",
            tuple(doc_id for doc_id, _ in ranked),
        )
        found = {r[0]: r for r in cur.fetchall()}
    out: list[RetrievedDoc] = []
    for doc_id, score in ranked:
        r = found.get(doc_id)
        if r is None:  # deleted by a concurrent export between the two reads
            continue
        out.append(
            RetrievedDoc(
                kind=r[1],
                record_id=r[2],
                date=codec.day_out(r[3]),
                symbol=r[4],
                run_id=r[5],
                text=r[6],
                score=round(score, 6),
            )
        )
    return out


def _rank(ids: list[str], matrix: Any, qvec: Any, k: int) -> list[tuple[str, float]]:
    """Top ``k`` by cosine (unit vectors: a dot product); ties broken by doc_id."""
    if not ids:
        return []
    scores = matrix @ qvec
    top = np.argpartition(-scores, k - 1)[:k] if len(ids) > k else np.arange(len(ids))
    picked = sorted(((float(scores[i]), ids[i]) for i in top), key=lambda t: (-t[0], t[1]))
    return [(doc_id, score) for score, doc_id in picked]


def _explain_empty(cur: Any, emb: Embedder) -> None:
    """No candidate: say so when the documents exist but came from another embedder."""
    cur.execute("SELECT embedder, dim, COUNT(*) FROM rag_documents GROUP BY embedder, dim")
    counts = {(str(r[0]), int(r[1])): int(r[2]) for r in cur.fetchall()}
    others = {f"{n}/{d}": c for (n, d), c in counts.items() if (n, d) != (emb.name, emb.dim)}
    if others and (emb.name, emb.dim) not in counts:  # else the filters simply matched none
        raise UserError(
            f"embedder={emb.name!r} (dim {emb.dim}): rag_documents holds no vectors of it "
            f"(found {', '.join(f'{n} x{c}' for n, c in sorted(others.items()))}); "
            "re-run export-rag with this embedder or set ADVISOR_RAG_EMBEDDER to match"
        )
