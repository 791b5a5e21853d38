"""The Alpaca stand-in's ``GET /v1beta1/news`` through the real alpaca-py ``NewsClient``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from llm_advisor.premarket.news.alpaca import AlpacaNewsSource
from llm_advisor.standins.alpaca_server import AlpacaStandIn

RUN = datetime(2026, 3, 16, 13, 0, tzinfo=UTC)


def test_news_route_filters_by_symbol_and_time_and_pages():
    with AlpacaStandIn() as server:
        for i in range(60):  # more than one 50-article page
            server.news.add(f"NVDA story {i}", RUN - timedelta(minutes=i + 1), ["NVDA"])
        server.news.add("Tesla story", RUN - timedelta(hours=1), ["TSLA"])
        server.news.add("Too late", RUN + timedelta(minutes=1), ["NVDA"])
        src = AlpacaNewsSource(server.api_key, server.secret_key, url_override=server.url)
        got = src.fetch(["NVDA"], RUN - timedelta(days=1), RUN)
        pages = server.count("GET", "/v1beta1/news")
    assert sorted(i.headline for i in got) == sorted(f"NVDA story {i}" for i in range(60))
    assert all(i.symbols == ("NVDA",) for i in got)
    assert pages == 2
