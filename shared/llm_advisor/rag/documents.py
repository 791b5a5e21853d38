"""A retrieval document: one record of the trading day as text plus its metadata.

Built by ``builders`` from the repository's reads, written to S3 by ``export`` and to
``rag_documents`` by ``store``. ``doc_id`` is derived from the record's natural key, never
from a database row id, so the same record gets the same id (and the same S3 key) on every
rerun and on either engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

KINDS: tuple[str, ...] = ("daily_bias", "premarket", "market_analysis", "trade", "daily_pnl")
"""Document kinds, in the order a day's documents are written."""

SHARED_RUN = "-"
"""Stands for "no run" in ids and S3 keys: bias and premarket records are per day and every
run of that day shares them."""


@dataclass(frozen=True)
class RagDocument:
    kind: str
    record_id: str
    date: date
    text: str
    run_id: str | None = None
    symbol: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    """Extra filterable fields (setup, side, exit_reason, pnl, bias, ...): strings, numbers
    or booleans only, since that is what a Bedrock metadata sidecar accepts."""

    @property
    def doc_id(self) -> str:
        return f"{self.kind}:{self.run_id or SHARED_RUN}:{self.record_id}"

    def metadata(self) -> dict[str, Any]:
        """The document's metadata: the fixed fields first, then its attributes."""
        meta: dict[str, Any] = {
            "doc_id": self.doc_id,
            "kind": self.kind,
            "record_id": self.record_id,
            "date": self.date.isoformat(),
            "year": self.date.year,
            "run_id": self.run_id or SHARED_RUN,
        }
        if self.symbol is not None:
            meta["symbol"] = self.symbol
        for key, value in self.attributes.items():
            if value is not None:
                meta.setdefault(key, value)
        return meta
