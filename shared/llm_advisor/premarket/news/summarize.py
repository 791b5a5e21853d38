"""The rules summarizer: an extractive digest of the newest headlines.

No model, no interpretation: the summary *is* the headlines (already cleaned to printable
single-line text), newest first, so nothing in a headline can do more than appear here.
"""

from __future__ import annotations

from llm_advisor.premarket.news.models import NewsItem, clean_text

NO_NEWS = "No news before the run time."


class RulesNewsSummarizer:
    def __init__(self, max_headlines: int = 3, max_chars: int = 600) -> None:
        self.max_headlines = max_headlines
        self.max_chars = max_chars

    def summarize(self, symbol: str | None, items: list[NewsItem]) -> str:
        if not items:
            return NO_NEWS
        newest = sorted(items, key=lambda i: (i.published_utc, i.headline), reverse=True)
        parts = []
        for it in newest[: self.max_headlines]:
            src = f" ({it.source})" if it.source else ""
            parts.append(f"[{it.published_utc:%m-%d %H:%MZ}] {it.headline}{src}")
        who = symbol or "market"
        head = f"{len(items)} item{'s' if len(items) != 1 else ''} for {who}: "
        return clean_text(head + " | ".join(parts), self.max_chars)
