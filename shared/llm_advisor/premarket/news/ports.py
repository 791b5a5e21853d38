"""Ports of the news step: where items come from and how they are summarised."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from llm_advisor.premarket.news.models import NewsItem


class NewsSourcePort(Protocol):
    """Items published in [start, end) about ``symbols`` (sources may return more; the
    selection step filters again, so a lax source cannot leak later news)."""

    def fetch(self, symbols: Sequence[str], start: datetime, end: datetime) -> list[NewsItem]: ...


class NewsSummarizerPort(Protocol):
    """One short text per symbol (``None`` = market-wide). The text is all a headline can
    influence: it never changes a bias, a snapshot or a threshold."""

    def summarize(self, symbol: str | None, items: list[NewsItem]) -> str: ...
