"""News sources, selection and the rules summary."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from llm_advisor.core.errors import DataError
from llm_advisor.premarket.news.alpaca import AlpacaNewsSource, map_alpaca_article
from llm_advisor.premarket.news.files import FileNewsSource, read_news_csv
from llm_advisor.premarket.news.models import NewsItem, clean_text
from llm_advisor.premarket.news.rss import RssNewsSource, parse_feed
from llm_advisor.premarket.news.select import dedupe, is_market_wide, select_news
from llm_advisor.premarket.news.summarize import NO_NEWS, RulesNewsSummarizer

RUN = datetime(2026, 3, 19, 13, 0, tzinfo=UTC)


def item(minutes_before: float, headline: str, symbols: tuple[str, ...] = (), url=None):
    return NewsItem(
        published_utc=RUN - timedelta(minutes=minutes_before),
        headline=headline,
        symbols=symbols,
        url=url,
    )


def test_real_headlines_file_loads(shared_data: Path):
    items = read_news_csv(shared_data / "news" / "headlines.csv.gz")
    assert len(items) == 218
    assert all(i.published_utc.tzinfo is not None for i in items)
    assert any("NVDA" in i.symbols for i in items)


def test_bad_csv_row_names_file_and_line(tmp_path: Path):
    p = tmp_path / "n.csv.gz"
    p.write_bytes(
        gzip.compress(
            b"published_utc,symbols,headline,source,url\n"
            b"2026-03-13T14:42:20Z,SPY,ok,src,\n2026-03-13T14:42:20,SPY,naive time,src,\n"
        )
    )
    with pytest.raises(DataError, match=r"n\.csv\.gz, line 3: published_utc"):
        read_news_csv(p)


def test_only_items_strictly_before_run_time_and_within_lookback():
    items = [
        item(0, "at run time"),
        item(-5, "after"),
        item(1, "just before"),
        item(60 * 80, "too old"),
    ]
    sel = select_news(items, ["SPY"], RUN)
    assert [i.headline for i in sel.market] == ["just before"]


def test_dedupe_merges_symbols_and_keeps_earliest():
    a = item(30, "Nvidia beats estimates", ("NVDA",), "https://x.com/a/1")
    b = item(10, "Nvidia beats estimates", ("SMCI",), "https://x.com/a/1?ref=rss")
    c = item(20, "NVIDIA  beats estimates!", ("AMD",), "https://finance.yahoo.com")
    out = dedupe([b, a, c])
    assert len(out) == 2
    merged = next(i for i in out if i.url == "https://x.com/a/1")
    assert merged.symbols == ("NVDA", "SMCI") and merged.published_utc == a.published_utc


def test_tagging_per_symbol_and_market_wide():
    items = [
        item(5, "Nvidia launches chip", ("NVDA",)),
        item(6, "Stocks slide as Fed holds"),
        item(7, "SPY options flow", ("SPY", "NVDA")),
    ]
    sel = select_news(items, ["NVDA", "QQQ"], RUN)
    assert [i.headline for i in sel.per_symbol["NVDA"]] == [
        "Nvidia launches chip",
        "SPY options flow",
    ]
    assert sel.per_symbol["QQQ"] == []
    assert [i.headline for i in sel.market] == ["Stocks slide as Fed holds", "SPY options flow"]
    assert not is_market_wide(items[0])


def test_rules_summary_is_extractive_and_clean():
    s = RulesNewsSummarizer(max_headlines=2)
    assert s.summarize("SPY", []) == NO_NEWS
    items = [item(30, "old one"), item(5, "new\none\u202e"), item(10, "middle")]
    out = s.summarize("SPY", items)
    assert out.startswith("3 items for SPY: ")
    assert "new one" in out and "middle" in out and "old one" not in out
    assert "\n" not in out and "\u202e" not in out
    assert clean_text("x" * 500, 10) == "x" * 9 + "…"


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>
<item><title>Tesla recalls cars</title><link>https://n.example/t1</link>
<pubDate>Thu, 19 Mar 2026 12:00:00 +0000</pubDate><category>TSLA</category></item>
<item><title>Undated</title><link>https://n.example/t2</link></item>
<item><title>Late</title><pubDate>Thu, 19 Mar 2026 14:00:00 GMT</pubDate></item>
</channel></rss>"""
ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>Nasdaq futures rise</title><link href="https://n.example/a1"/>
<updated>2026-03-19T11:30:00Z</updated></entry></feed>"""


def test_rss_and_atom_parsing(tmp_path: Path):
    items = parse_feed(RSS, symbols=("NVDA",))
    assert [(i.headline, i.symbols) for i in items] == [
        ("Tesla recalls cars", ("NVDA", "TSLA")),
        ("Late", ("NVDA",)),
    ]
    p = tmp_path / "a.xml"
    p.write_bytes(ATOM)
    got = RssNewsSource(p).fetch(["SPY"], RUN - timedelta(days=1), RUN)
    assert [i.headline for i in got] == ["Nasdaq futures rise"]
    with pytest.raises(DataError, match="not well-formed"):
        parse_feed(b"<rss><channel>")


def test_rss_from_url_uses_the_fetcher():
    seen = []

    def fetch(url: str) -> bytes:
        seen.append(url)
        return RSS

    src = RssNewsSource("https://feeds.example/rss?s=TSLA", ("TSLA",), fetch_url=fetch)
    got = src.fetch(["TSLA"], RUN - timedelta(days=1), RUN)
    assert seen == ["https://feeds.example/rss?s=TSLA"]
    assert [i.headline for i in got] == ["Tesla recalls cars"]


class _AlpacaNews(BaseHTTPRequestHandler):
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        body = json.dumps(
            {
                "news": [
                    {
                        "id": 1,
                        "headline": "Nvidia unveils Rubin",
                        "source": "benzinga",
                        "url": "https://b.example/1",
                        "summary": "",
                        "created_at": "2026-03-19T12:01:00Z",
                        "updated_at": "2026-03-19T12:01:00Z",
                        "symbols": ["NVDA"],
                        "author": "a",
                        "content": "",
                    },
                    {
                        "id": 2,
                        "headline": "",
                        "source": "x",
                        "url": None,
                        "summary": "",
                        "created_at": "2026-03-19T12:02:00Z",
                        "updated_at": "2026-03-19T12:02:00Z",
                        "symbols": [],
                        "author": "",
                        "content": "",
                    },
                ],
                "next_page_token": None,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def alpaca_server() -> Iterator[str]:
    srv = HTTPServer(("127.0.0.1", 0), _AlpacaNews)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_alpaca_adapter_against_local_server(alpaca_server: str):
    src = AlpacaNewsSource("key", "secret", url_override=alpaca_server)
    got = src.fetch(["NVDA"], RUN - timedelta(days=1), RUN)
    assert [(i.headline, i.symbols, i.source) for i in got] == [
        ("Nvidia unveils Rubin", ("NVDA",), "benzinga")
    ]
    assert _AlpacaNews.paths and "/news" in _AlpacaNews.paths[-1]
    assert "symbols=NVDA" in _AlpacaNews.paths[-1]


def test_alpaca_mapping_drops_unusable_articles():
    assert map_alpaca_article({"headline": "x"}) is None
    ok = map_alpaca_article(
        {
            "headline": "h",
            "created_at": "2026-03-19T12:00:00Z",
            "symbols": ["spy", "bad ticker!"],
            "url": "javascript:alert(1)",
        }
    )
    assert ok is not None and ok.symbols == ("SPY",) and ok.url is None


def test_file_source_filters_by_time(shared_data: Path):
    src = FileNewsSource(shared_data / "news" / "headlines.csv.gz")
    got = src.fetch([], RUN - timedelta(days=1), RUN)
    assert got and all(RUN - timedelta(days=1) <= i.published_utc < RUN for i in got)
