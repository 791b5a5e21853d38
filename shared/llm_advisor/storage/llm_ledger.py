"""The LLM ledger on the trading database (``llm_calls``), for deployed analysts.

An in-memory ledger dies with its Lambda container: the next container would start the
day's budget from zero and could not answer a re-asked request from its record. Kept in the
database, every container sees the same calls, so the daily budget holds across cold starts
and ``lookup`` serves the audit trail and ``--analyst replay`` from one place.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from llm_advisor.analysis.ledger import LLMCallRecord
from llm_advisor.core.calendar import NY

if TYPE_CHECKING:
    from llm_advisor.storage.repository import Repository


def ny_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a New York calendar day as aware times (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=NY)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=NY)
    return start, end


class SqlLedger:
    """``LedgerPort`` plus ``spent_usd`` over a ``Repository``.

    Same answers as ``InMemoryLedger`` for the same calls recorded in time order, with one
    deliberate difference: recording the very same call twice (same request hash and
    ``created_at``, e.g. a retried Lambda) stores and charges it once.
    """

    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    def record(self, call: LLMCallRecord) -> None:
        self.repo.save_llm_call(call)

    def lookup(self, request_hash: str) -> LLMCallRecord | None:
        row = self.repo.get_llm_call(request_hash)
        if row is None:
            return None
        return LLMCallRecord.model_validate(row)

    def spent_usd(self, day: date) -> Decimal:
        """Cost of the calls made (``created_at``) on ``day`` in New York."""
        start, end = ny_day_bounds(day)
        return self.repo.llm_spent_usd(start, end)
