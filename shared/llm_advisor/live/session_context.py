"""What the live services read from the day's premarket context, and where it is archived.

The tick (seed closes, snapshots) and the validator and analyst (bias, news, VIX) need only
a few questions answered about the premarket document. ``SessionContext`` is that slice, so
tests and the local day can hand in a small fake; ``PremarketSessionContext`` answers it
from the real document the premarket helper writes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

from llm_advisor.core.models import Snapshot


class SessionContext(Protocol):
    """What the tick and the analysis read from the premarket context (see
    ``llm_advisor.premarket.context.PremarketContext``)."""

    def snapshots(self) -> dict[str, Snapshot]: ...

    def seed_closes(self) -> dict[str, list[float]]: ...

    def daily_bias(self) -> dict[str, tuple[str, float]]: ...

    def news_summary(self) -> str: ...

    def vix(self) -> float | None: ...


ContextLoader = Callable[[date], SessionContext | None]


class PremarketSessionContext:
    """``SessionContext`` over the premarket helper's ``PremarketContext`` document."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    def snapshots(self) -> dict[str, Snapshot]:
        return {s: c.snapshot for s, c in self.doc.symbols.items()}

    def seed_closes(self) -> dict[str, list[float]]:
        return {s: list(c.seed_closes) for s, c in self.doc.symbols.items()}

    def daily_bias(self) -> dict[str, tuple[str, float]]:
        out = {}
        for s, c in self.doc.symbols.items():
            if c.bias.bias is not None and c.bias.confidence is not None:
                out[s] = (c.bias.bias, float(c.bias.confidence))
        return out

    def news_summary(self) -> str:
        return str(self.doc.market_context.news_summary)

    def vix(self) -> float | None:
        v = self.doc.market_context.vix_close
        return None if v is None else float(v)


def context_archive_key(day: date) -> str:
    """Where premarket archives the day's context (``{year}/{month}/{date}/...``)."""
    return f"{day:%Y}/{day:%m}/{day.isoformat()}/premarket_context.json"
