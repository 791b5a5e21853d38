"""A news item as every source maps it; the headline is untrusted text."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from llm_advisor.core.clock import require_utc
from llm_advisor.core.models import SYMBOL_RE

MAX_HEADLINE = 300
_WS = re.compile(r"\s+")


def clean_text(text: str, limit: int = MAX_HEADLINE) -> str:
    """Printable single-line text: control and format characters removed, whitespace
    collapsed, length capped. Headlines come from the outside world and end up in logs,
    JSON and LLM prompts; nothing they contain may break one of those."""
    kept = "".join(
        ch if unicodedata.category(ch)[0] != "C" else " "
        for ch in unicodedata.normalize("NFKC", text)
    )
    out = _WS.sub(" ", kept).strip()
    return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"


def normalize_symbols(raw: Any) -> tuple[str, ...]:
    """Upper-case tickers, split on ';' or ',', invalid ones dropped, sorted, unique."""
    if raw is None:
        return ()
    parts = re.split(r"[;,\s]+", raw) if isinstance(raw, str) else [str(p) for p in raw]
    return tuple(sorted({p.strip().upper() for p in parts if SYMBOL_RE.match(p.strip().upper())}))


class NewsItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    published_utc: datetime
    headline: str = Field(min_length=1)
    symbols: tuple[str, ...] = ()
    source: str = ""
    url: str | None = None

    @field_validator("published_utc", mode="before")
    @classmethod
    def _utc(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
        if isinstance(v, datetime):
            return require_utc(v, "published_utc")
        return v

    @field_validator("headline", mode="before")
    @classmethod
    def _headline(cls, v: Any) -> Any:
        return clean_text(v) if isinstance(v, str) else v

    @field_validator("source", mode="before")
    @classmethod
    def _source(cls, v: Any) -> Any:
        return clean_text(v, 80) if isinstance(v, str) else ("" if v is None else v)

    @field_validator("symbols", mode="before")
    @classmethod
    def _symbols(cls, v: Any) -> Any:
        return normalize_symbols(v)

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, v: Any) -> Any:
        if v is None:
            return None
        s = str(v).strip()
        return s if s.startswith(("http://", "https://")) and len(s) < 2048 else None

    @property
    def key(self) -> str:
        """Identity for deduplication: a specific URL when there is one, else the
        headline's lower-cased words (the same story syndicated twice is one item)."""
        url = (self.url or "").rstrip("/").split("?")[0].lower()
        generic = url.count("/") <= 2
        basis = url if url and not generic else " ".join(re.findall(r"\w+", self.headline.lower()))
        return hashlib.sha1(basis.encode()).hexdigest()[:16]
