"""Where a premarket context goes: a JSON file, the database and the object store.

Kept apart from the pure pipeline so replay can build contexts without touching anything.
Every writer replaces what it wrote before for the same date, so a rerun never duplicates.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from llm_advisor.core.ports import ObjectStorePort
from llm_advisor.premarket.context import PremarketContext

FILE_NAME = "premarket_context.json"


@runtime_checkable
class PremarketRepository(Protocol):
    """What the premarket step needs of storage: idempotent upserts keyed by (date, symbol).

    A repository may also offer ``delete_premarket_day(day)``; when it does, it is called
    first so that a symbol excluded on a rerun loses the row it had."""

    def save_daily_bias(self, rows: list[dict[str, Any]]) -> Any: ...

    def save_premarket_snapshots(self, rows: list[dict[str, Any]]) -> Any: ...


def context_path(base_dir: Path, day: date) -> Path:
    return Path(base_dir) / "daily_news" / day.isoformat() / "processed" / FILE_NAME


def object_key(day: date) -> str:
    return f"{day.year}/{day.month:02d}/{day.isoformat()}/{FILE_NAME}"


def write_context_file(ctx: PremarketContext, base_dir: Path) -> Path:
    """Atomic write (temp file + rename): a reader never sees half a document."""
    path = context_path(base_dir, ctx.date)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".premarket-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(ctx.to_json_bytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def put_context(store: ObjectStorePort, ctx: PremarketContext) -> str:
    key = object_key(ctx.date)
    store.put(key, ctx.to_json_bytes(), content_type="application/json")
    return key


def bias_rows(ctx: PremarketContext) -> list[dict[str, Any]]:
    """``daily_bias`` rows: symbols the model could call (others have no bias to store)."""
    rows = []
    for sym, sc in sorted(ctx.symbols.items()):
        if sc.bias.bias is None or sc.bias.confidence is None:
            continue
        rows.append(
            {
                "date": ctx.date,
                "symbol": sym,
                "bias": sc.bias.bias,
                "confidence": sc.bias.confidence,
                "htf_bias": sc.snapshot.htf_bias,
                "news_summary": sc.news_summary,
                "model_version": sc.bias.model_version,
                # who wrote news_summary (the digest or an LLM paragraph) and the day's
                # volatility figure with its source, next to the model's probabilities
                "features": {
                    "probabilities": sc.bias.probabilities,
                    "summary_source": sc.summary_source,
                    "vix_close": ctx.market_context.vix_close,
                    "vix_source": ctx.market_context.vix_source,
                },
            }
        )
    return rows


def snapshot_rows(ctx: PremarketContext) -> list[dict[str, Any]]:
    return [sc.snapshot.model_dump() for _sym, sc in sorted(ctx.symbols.items())]


def save_context(repo: PremarketRepository, ctx: PremarketContext) -> tuple[int, int]:
    """Replace the date's rows in one transaction when the repository offers one
    (``repo.db.transaction()``): a rerun that fails half-way keeps the previous rows
    instead of leaving the session without bias and bands."""
    b, s = bias_rows(ctx), snapshot_rows(ctx)
    txn = getattr(getattr(repo, "db", None), "transaction", None)
    with txn() if callable(txn) else nullcontext():
        delete = getattr(repo, "delete_premarket_day", None)
        if callable(delete):
            delete(ctx.date)
        repo.save_daily_bias(b)
        repo.save_premarket_snapshots(s)
    return len(b), len(s)
