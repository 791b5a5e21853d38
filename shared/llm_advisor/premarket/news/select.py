"""Which news counts for a run, and for whom.

Rules (written down in docs/premarket.md):
- only items published strictly before the run time and at most ``lookback`` earlier;
- duplicates (same specific URL, or same headline words) are merged into the earliest copy,
  with the union of their symbols;
- an item counts for each watched symbol it names;
- it is *market-wide* when it names no symbol, names a broad-index ETF (SPY, QQQ, IWM, DIA,
  VOO, VTI), or its headline names the market as a whole (Fed, Wall Street, S&P 500, ...).
  Matching the headline only decides which summary an item lands in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from llm_advisor.core.clock import require_utc
from llm_advisor.premarket.news.models import NewsItem

INDEX_SYMBOLS = frozenset({"SPY", "QQQ", "IWM", "DIA", "VOO", "VTI"})
MARKET_WORDS = re.compile(
    r"\b(fed|fomc|powell|wall street|s&p 500|s&p|nasdaq|dow|stock market|stocks|treasur(y|ies)"
    r"|inflation|cpi|jobs report|payrolls|recession|tariffs?|futures)\b",
    re.IGNORECASE,
)
DEFAULT_LOOKBACK = timedelta(hours=72)


@dataclass
class SelectedNews:
    run_time: datetime
    per_symbol: dict[str, list[NewsItem]] = field(default_factory=dict)
    market: list[NewsItem] = field(default_factory=list)
    total: int = 0


def dedupe(items: Iterable[NewsItem]) -> list[NewsItem]:
    """Earliest copy of each story, symbols merged; sorted newest first."""
    best: dict[str, NewsItem] = {}
    for it in sorted(items, key=lambda i: (i.published_utc, i.headline)):
        k = it.key
        if k in best:
            prev = best[k]
            merged = tuple(sorted(set(prev.symbols) | set(it.symbols)))
            best[k] = prev.model_copy(update={"symbols": merged})
        else:
            best[k] = it
    return sorted(best.values(), key=lambda i: (i.published_utc, i.headline), reverse=True)


def is_market_wide(item: NewsItem) -> bool:
    return (
        not item.symbols
        or bool(INDEX_SYMBOLS & set(item.symbols))
        or bool(MARKET_WORDS.search(item.headline))
    )


def select_news(
    items: Iterable[NewsItem],
    symbols: Sequence[str],
    run_time: datetime,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> SelectedNews:
    run_time = require_utc(run_time, "run_time")
    start = run_time - lookback
    kept = dedupe(i for i in items if start <= i.published_utc < run_time)
    out = SelectedNews(run_time=run_time, total=len(kept))
    for sym in symbols:
        out.per_symbol[sym] = [i for i in kept if sym in i.symbols]
    out.market = [i for i in kept if is_market_wide(i)]
    return out
