"""The premarket context document: what the day's engine and analyst start from.

One JSON document per session, written to disk, the database and the object store. It holds
no wall-clock timestamp of its own making: rerunning a date on the same inputs yields the
same bytes, which is what makes reruns idempotent and the leakage test meaningful.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from llm_advisor.core.clock import require_utc
from llm_advisor.core.errors import DataError
from llm_advisor.core.models import Snapshot
from llm_advisor.premarket.news.models import NewsItem

SCHEMA_VERSION = 1
BiasLabel = Literal["bullish", "bearish", "choppy"]
# Who wrote ``news_summary``: the extractive headline digest, or an LLM paragraph
# ("llm:<provider>") written from the facts and headlines (premarket/narrative.py).
SummarySource = str


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BiasView(_Doc):
    """The model's call for one session; ``bias`` is None when it could not be made."""

    bias: BiasLabel | None = None
    confidence: float | None = Field(None, ge=0, le=100)
    probabilities: dict[str, float] = Field(default_factory=dict)
    model_version: str | None = None
    note: str = ""


class SymbolContext(_Doc):
    symbol: str
    bias: BiasView
    news_summary: str
    summary_source: SummarySource = "rules"
    news_count: int = 0
    news: list[NewsItem] = Field(default_factory=list)
    snapshot: Snapshot
    seed_closes: list[float] = Field(default_factory=list)


class MarketContext(_Doc):
    bias: BiasView = BiasView()
    spy_close: float | None = None
    spy_return_1d_pct: float | None = None
    spy_return_5d_pct: float | None = None
    vix_close: float | None = None
    vix_change_5d_pct: float | None = None
    # Where vix_close comes from: "cboe" (the index, CBOE's CSV), "daily-file" (the index,
    # a --daily-dir file), "spy-realized" (fallback, SPY's 20-day realised volatility in
    # VIX units; not fed to the bias model) or None (nothing available, see vix_note).
    vix_source: str | None = None
    vix_as_of: date | None = None
    vix_note: str = ""
    news_summary: str = ""
    summary_source: SummarySource = "rules"
    news_note: str = ""  # why news is missing (no source, or the source failed)
    news_count: int = 0
    news: list[NewsItem] = Field(default_factory=list)


class PremarketContext(_Doc):
    schema_version: int = SCHEMA_VERSION
    date: date
    run_time: datetime
    model_version: str | None = None
    symbols: dict[str, SymbolContext] = Field(default_factory=dict)
    excluded: dict[str, str] = Field(default_factory=dict)
    market_context: MarketContext = MarketContext()

    @field_validator("run_time", mode="before")
    @classmethod
    def _utc(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = datetime.fromisoformat(v.replace("Z", "+00:00"))
        return require_utc(v, "run_time") if isinstance(v, datetime) else v

    def to_json_bytes(self) -> bytes:
        return (json.dumps(self.model_dump(mode="json"), indent=1, sort_keys=True) + "\n").encode()


def load_premarket_context(source: str | Path | bytes) -> PremarketContext:
    """Parse a context from a path or from the bytes of the document (S3 body)."""
    name = "premarket context"
    if isinstance(source, bytes):
        raw = source
    else:
        name = str(source)
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise DataError(f"{name}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{name}: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        got = data.get("schema_version") if isinstance(data, dict) else type(data).__name__
        raise DataError(f"{name}: schema_version={got!r}, expected {SCHEMA_VERSION}")
    try:
        return PremarketContext.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        raise DataError(f"{name}: {where}: {e['msg']}") from None
