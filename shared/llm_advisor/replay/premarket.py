"""The premarket step inside a replay: each session's daily biases and news summary.

Replay computes snapshots itself (all sessions in one pass); what the analyst additionally
reads before the open is the bias model's call per symbol and the news summary. This hook
runs the premarket step's own functions (``predict_bias``, ``select_news``, the
summarizer) for each replayed session, on data strictly before that session.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import pandas as pd

from llm_advisor.core.calendar import previous_session
from llm_advisor.premarket.bias.model import BiasModel
from llm_advisor.premarket.bias.predict import BiasUnavailableError, predict_bias
from llm_advisor.premarket.news.models import NewsItem
from llm_advisor.premarket.news.ports import NewsSummarizerPort
from llm_advisor.premarket.news.select import select_news
from llm_advisor.premarket.news.summarize import RulesNewsSummarizer
from llm_advisor.premarket.pipeline import PremarketConfig, run_time_for


@dataclass(frozen=True)
class PremarketInfo:
    """What the analyst may know before the open of one session."""

    biases: dict[str, tuple[str, float]] = field(default_factory=dict)
    news_summary: str = ""
    vix: float | None = None


class ReplayPremarket:
    """Callable ``day -> PremarketInfo``; results are cached per session."""

    def __init__(
        self,
        symbols: Sequence[str],
        daily: Mapping[str, pd.DataFrame] | None,
        model: BiasModel | None,
        news: Iterable[NewsItem] = (),
        summarizer: NewsSummarizerPort | None = None,
        config: PremarketConfig | None = None,
    ) -> None:
        self.symbols = list(symbols)
        self.daily = dict(daily or {})
        self.model = model
        self.news = list(news)
        self.summarizer = summarizer or RulesNewsSummarizer()
        self.config = config or PremarketConfig()
        self._cached = lru_cache(maxsize=4096)(self._compute)

    def __call__(self, day: date) -> PremarketInfo:
        return self._cached(day)

    def _compute(self, day: date) -> PremarketInfo:
        prev = previous_session(day)
        spy = self.daily.get("SPY")
        vix = self.daily.get("VIX")
        biases: dict[str, tuple[str, float]] = {}
        if self.model is not None:
            for sym in self.symbols:
                d = self.daily.get(sym)
                if d is None or d.empty:
                    continue
                try:
                    p = predict_bias(self.model, day, prev, d, spy, vix)
                except BiasUnavailableError:
                    continue
                biases[sym] = (p.bias, float(p.confidence))
        summary = ""
        if self.news:
            sel = select_news(self.news, self.symbols, run_time_for(day, self.config))
            parts = [self.summarizer.summarize(None, sel.market[: self.config.max_news_items])]
            for sym in self.symbols:
                items = sel.per_symbol.get(sym, [])[: self.config.max_news_items]
                if items:
                    parts.append(self.summarizer.summarize(sym, items))
            summary = " || ".join(p for p in parts if p)
        vix_close = None
        if vix is not None and not vix.empty:
            before = vix[pd.DatetimeIndex(vix.index).normalize() < pd.Timestamp(day)]
            if not before.empty:
                vix_close = float(before["close"].iloc[-1])
        return PremarketInfo(biases, summary, vix_close)
