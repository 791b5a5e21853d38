"""Search latency over N stored documents: ``python -m llm_advisor.rag.bench --docs 10000``.

Fills a scratch ``rag_documents`` (SQLite file, or ``--db`` PostgreSQL) with N rows of
random unit vectors at the local model's width, then times ``search`` with a precomputed
query vector (so the figure is the store's cost; the query's embedding is timed apart).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from llm_advisor.rag.embedding import Vectors, normalise
from llm_advisor.rag.retrieval import search
from llm_advisor.rag.store import COLS, to_blob
from llm_advisor.storage.codec import Codec
from llm_advisor.storage.repository import Repository, open_repository


class FixedEmbedder:
    """Returns one precomputed vector: isolates the store's share of a search."""

    name = "bench"

    def __init__(self, dim: int, seed: int) -> None:
        self.dim = dim
        self._vec = normalise(np.random.default_rng(seed).normal(size=(1, dim)))

    def embed(self, texts: Sequence[str]) -> Vectors:
        return np.repeat(self._vec, len(texts), axis=0)


def fill(repo: Repository, n: int, dim: int) -> None:
    base = repo.db
    k = Codec(base.engine)
    rng = np.random.default_rng(1)
    vecs = normalise(rng.normal(size=(n, dim)))
    kinds = ("daily_bias", "premarket", "market_analysis", "trade", "daily_pnl")
    syms = ("SPY", "QQQ", "IWM", "NVDA", "TSLA")
    now = k.ts(datetime(2025, 1, 1, tzinfo=UTC))
    rows = []
    for i in range(n):
        d = date(2024, 1, 2) + timedelta(days=i % 365)
        text = f"document {i} about {syms[i % 5]} " * 20
        rows.append(
            (f"bench:{i}", kinds[i % 5], str(i), "bench", k.day(d), syms[i % 5], text,
             k.json({}), to_blob(vecs[i]), "bench", dim, now)
        )  # fmt: skip
    sql = f"INSERT INTO rag_documents ({', '.join(COLS)}) VALUES ({', '.join('?' * len(COLS))})"
    with base.transaction() as cur:
        cur.execute("DELETE FROM rag_documents WHERE embedder = 'bench'")
        cur.executemany(sql, rows)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, default=10_000)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--db", default=None, help="database URL (default: a scratch SQLite file)")
    p.add_argument("--repeat", type=int, default=20)
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = a.db or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        repo = open_repository(url, migrate_schema=True)
        try:
            fill(repo, a.docs, a.dim)
            emb = FixedEmbedder(a.dim, 2)
            for label, kwargs in (
                ("all documents", {}),
                ("one symbol", {"symbol": "NVDA"}),
                ("one month", {"start": date(2024, 3, 1), "end": date(2024, 3, 31)}),
            ):
                times = []
                for _ in range(a.repeat):
                    t0 = time.perf_counter()
                    search(repo, "q", k=5, embedder=emb, **kwargs)
                    times.append((time.perf_counter() - t0) * 1000)
                sys.stdout.write(
                    f"{repo.engine} {a.docs} docs x {a.dim}d, {label}: median "
                    f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms\n"
                )
            with repo.db.transaction() as cur:
                cur.execute("DELETE FROM rag_documents WHERE embedder = 'bench'")
        finally:
            repo.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
