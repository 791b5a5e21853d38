"""Headlines for the Alpaca stand-in's ``GET /v1beta1/news`` (alpaca-py ``NewsClient``).

Kept apart from the server so it stays a list with a filter: articles are stored in the
shape Alpaca returns them, filtered by ``symbols``, ``start`` and ``end`` (both inclusive, as
Alpaca documents), sorted by ``sort`` and paged with ``limit``/``page_token``.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from datetime import UTC, datetime
from typing import Any


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


class NewsBoard:
    """The stand-in's articles; ``add`` is what a test or the local day calls."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(
        self,
        headline: str,
        created_at: datetime,
        symbols: tuple[str, ...] | list[str] = (),
        source: str = "benzinga",
        url: str | None = None,
    ) -> None:
        stamp = created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        with self._lock:
            self._items.append(
                {
                    "id": next(self._ids),
                    "headline": headline,
                    "author": "",
                    "created_at": stamp,
                    "updated_at": stamp,
                    "summary": "",
                    "content": "",
                    "url": url,
                    "images": [],
                    "symbols": list(symbols),
                    "source": source,
                }
            )

    def page(self, q: dict[str, str], max_page: int) -> dict[str, Any]:
        wanted = {s for s in q.get("symbols", "").split(",") if s}
        start, end = _parse(q.get("start")), _parse(q.get("end"))
        with self._lock:
            items = list(self._items)
        rows = [
            a
            for a in items
            if (not wanted or wanted & set(a["symbols"]))
            and (start is None or _parse(a["created_at"]) >= start)  # type: ignore[operator]
            and (end is None or _parse(a["created_at"]) <= end)  # type: ignore[operator]
        ]
        rows.sort(key=lambda a: (a["created_at"], a["id"]), reverse=q.get("sort") != "asc")
        limit = min(int(q.get("limit") or 10), max_page, 50)
        offset = 0
        if q.get("page_token"):
            offset = int(json.loads(base64.urlsafe_b64decode(q["page_token"]))["offset"])
        token = None
        if offset + limit < len(rows):
            token = base64.urlsafe_b64encode(
                json.dumps({"offset": offset + limit}).encode()
            ).decode()
        return {"news": rows[offset : offset + limit], "next_page_token": token}
