"""Alpaca's news API (alpaca-py ``NewsClient``) mapped to ``NewsItem``.

The SDK is imported lazily so the rest of the premarket step works without it, and the
client is created on first use (never at import). ``raw_data=True`` keeps the mapping in our
hands: the SDK's models change between versions, the JSON fields do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from llm_advisor.core.errors import RetryableError
from llm_advisor.premarket.news.models import NewsItem


def map_alpaca_article(raw: Mapping[str, Any]) -> NewsItem | None:
    """One article of ``GET /v1beta1/news``; None when it lacks a headline or a time."""
    try:
        return NewsItem(
            published_utc=raw.get("created_at") or raw.get("updated_at"),
            headline=raw.get("headline") or "",
            symbols=raw.get("symbols") or (),
            source=raw.get("source") or "alpaca",
            url=raw.get("url"),
        )
    except (ValidationError, TypeError, ValueError):
        return None


class AlpacaNewsSource:
    def __init__(
        self,
        api_key: str,
        secret_key: str,
        url_override: str | None = None,
        limit: int = 200,
        client: Any = None,
    ) -> None:
        self._key, self._secret, self._url = api_key, secret_key, url_override
        self._limit = limit
        self._client = client

    def _get_client(self) -> Any:
        if self._client is None:
            from alpaca.data.historical.news import NewsClient

            self._client = NewsClient(
                api_key=self._key,
                secret_key=self._secret,
                raw_data=True,
                url_override=self._url,
            )
        return self._client

    def fetch(self, symbols: Sequence[str], start: datetime, end: datetime) -> list[NewsItem]:
        from alpaca.common.exceptions import APIError
        from alpaca.data.requests import NewsRequest

        req = NewsRequest(
            symbols=",".join(symbols) if symbols else None,
            start=start,
            end=end,
            limit=self._limit,
            sort="desc",
            include_content=False,
            exclude_contentless=False,
        )
        try:
            raw = self._get_client().get_news(req)
        except APIError as exc:
            raise RetryableError(f"alpaca news: {exc}") from None
        articles: list[Any] = []
        if isinstance(raw, Mapping):
            articles = list(raw.get("news", []))
        elif isinstance(raw, list):
            articles = raw
        items = [map_alpaca_article(a) for a in articles if isinstance(a, Mapping)]
        return [i for i in items if i is not None and start <= i.published_utc < end]
