"""News from a CSV file (``published_utc,symbols,headline,source,url``, optionally gzip).

A file is read whole or refused with one line naming it, like the bar files: an empty file
or one with only a header is refused too, since a ``--news-file`` given on purpose that
holds no headlines is a mistake (wrong file, failed export), and accepting it would run the
analyst on "no news" without a word.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from llm_advisor.core.errors import DataError
from llm_advisor.premarket.news.models import NewsItem

COLUMNS = ("published_utc", "symbols", "headline", "source", "url")


def read_news_csv(path: Path) -> list[NewsItem]:
    """All rows; a malformed row is a DataError naming the file, the line and the reason."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"news file {path}: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"news file {path}: bad gzip data ({exc})") from None
    if not raw.strip():
        raise DataError(
            f"news file {path}: empty file, no headlines (expected a header {','.join(COLUMNS)})"
        )
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8", errors="replace")))
    missing = [c for c in COLUMNS[:3] if c not in (reader.fieldnames or [])]
    if missing:
        raise DataError(f"news file {path}: missing column(s) {', '.join(missing)}")
    items = []
    for line, row in enumerate(reader, start=2):
        try:
            items.append(
                NewsItem(
                    published_utc=row["published_utc"],
                    headline=row["headline"],
                    symbols=row.get("symbols") or "",
                    source=row.get("source") or "",
                    url=row.get("url") or None,
                )
            )
        except (ValidationError, ValueError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else {"msg": str(exc)}
            where = ".".join(str(p) for p in first.get("loc", ())) or "row"
            raise DataError(f"news file {path}, line {line}: {where}: {first['msg']}") from None
    if not items:
        raise DataError(f"news file {path}: no headlines (only a header line)")
    return items


class FileNewsSource:
    """NewsSourcePort over one CSV file (read once, filtered per call)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._items: list[NewsItem] | None = None

    def fetch(self, symbols: Sequence[str], start: datetime, end: datetime) -> list[NewsItem]:
        if self._items is None:
            self._items = read_news_csv(self.path)
        return [i for i in self._items if start <= i.published_utc < end]
