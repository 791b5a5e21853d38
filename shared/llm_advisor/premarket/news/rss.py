"""RSS 2.0 and Atom feeds, parsed with the standard library.

A feed is fetched from an ``http(s)`` URL or read from a file. Feeds rarely carry tickers,
so each feed may be bound to symbols (a per-ticker feed such as Yahoo's
``headline?s=NVDA``); ``<category>`` values that look like tickers are added. Entries
without a parseable date are skipped: an undated item cannot be proven to predate the run.
Python's expat refuses entity-expansion bombs, and no external entities are resolved.
"""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from pydantic import ValidationError

from llm_advisor.core.errors import DataError, RetryableError
from llm_advisor.premarket.news.models import NewsItem, normalize_symbols

ATOM = "{http://www.w3.org/2005/Atom}"
MAX_BYTES = 5_000_000


def _http_get(url: str, timeout: float = 10.0) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "llm-advisor/0.1 (+premarket)"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body: bytes = resp.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RetryableError(f"feed {url}: {exc}") from None
    if len(body) > MAX_BYTES:
        raise DataError(f"feed {url}: larger than {MAX_BYTES} bytes")
    return body


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    text = text.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return dt if dt.tzinfo is not None else None


def parse_feed(body: bytes, symbols: Sequence[str] = (), source: str = "") -> list[NewsItem]:
    """Items of an RSS 2.0 or Atom document (raises DataError on malformed XML)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise DataError(f"feed {source or '(inline)'}: not well-formed XML ({exc})") from None
    bound = tuple(symbols)
    out: list[NewsItem] = []
    if root.tag == f"{ATOM}feed":
        feed_title = root.findtext(f"{ATOM}title") or source
        for e in root.iter(f"{ATOM}entry"):
            link = next(
                (
                    a.get("href")
                    for a in e.findall(f"{ATOM}link")
                    if a.get("rel", "alternate") == "alternate"
                ),
                None,
            )
            cats = [c.get("term", "") for c in e.findall(f"{ATOM}category")]
            _add(
                out,
                e.findtext(f"{ATOM}title"),
                _date(e.findtext(f"{ATOM}published") or e.findtext(f"{ATOM}updated")),
                bound,
                cats,
                feed_title,
                link,
            )
    else:
        channel = root.find("channel")
        feed_title = (channel.findtext("title") if channel is not None else None) or source
        for it in root.iter("item"):
            cats = [c.text or "" for c in it.findall("category")]
            _add(
                out,
                it.findtext("title"),
                _date(it.findtext("pubDate")),
                bound,
                cats,
                feed_title,
                it.findtext("link"),
            )
    return out


def _add(
    out: list[NewsItem],
    title: str | None,
    published: datetime | None,
    bound: tuple[str, ...],
    cats: list[str],
    source: str,
    link: str | None,
) -> None:
    if not title or not title.strip() or published is None:
        return
    syms = tuple(sorted(set(bound) | set(normalize_symbols([c for c in cats if c.isupper()]))))
    try:
        out.append(
            NewsItem(published_utc=published, headline=title, symbols=syms, source=source, url=link)
        )
    except ValidationError:
        return  # one unusable entry does not sink the feed


class RssNewsSource:
    """NewsSourcePort over one feed (URL or file), optionally bound to symbols."""

    def __init__(
        self,
        location: str | Path,
        symbols: Sequence[str] = (),
        fetch_url: Callable[[str], bytes] = _http_get,
    ) -> None:
        self.location = str(location)
        self.symbols = tuple(symbols)
        self._fetch_url = fetch_url

    def _body(self) -> bytes:
        if self.location.startswith(("http://", "https://")):
            return self._fetch_url(self.location)
        try:
            return Path(self.location).read_bytes()
        except OSError as exc:
            raise DataError(f"feed file {self.location}: {exc.strerror or exc}") from None

    def fetch(self, symbols: Sequence[str], start: datetime, end: datetime) -> list[NewsItem]:
        items = parse_feed(self._body(), self.symbols, self.location)
        return [i for i in items if start <= i.published_utc < end]
