"""The conventions every API response follows, as types: exact money, UTC times, null fields.

``schemas.py`` and its sibling response modules (trades, signals, status, truth) all build
on these, so a convention is defined once: ``Money`` is a decimal string with a pattern in
the OpenAPI document, ``UtcTime`` an ISO-8601 instant in UTC, ``_Out`` makes every
response frozen and strict about its fields, and every failure answers with ``ErrorBody``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from llm_advisor.core.money import fmt_decimal

MONEY_PATTERN = r"^-?\d+(\.\d+)?$"
Money = Annotated[
    str,
    Field(pattern=MONEY_PATTERN, description="Exact decimal as a string", examples=["123.45"]),
]
UtcTime = Annotated[datetime, Field(description="ISO-8601 in UTC, e.g. 2024-03-01T14:35:00Z")]
RunId = Annotated[
    str,
    Field(description="The run these records belong to (see GET /api/runs)", examples=["live"]),
]


def money(x: Decimal) -> str:
    return fmt_decimal(x)


def opt_money(x: Decimal | None) -> str | None:
    return None if x is None else fmt_decimal(x)


def utc(ts: datetime) -> datetime:
    """Normalize to UTC; a naive value from storage is UTC (SQLite keeps UTC text)."""
    if ts.tzinfo is None or ts.tzinfo.utcoffset(ts) is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ------------------------------------------------------------------ errors


class FieldProblem(_Out):
    field: str = Field(description="Parameter name, e.g. start_date")
    location: str = Field(description="query, path or header")
    type: str = Field(description="Machine-readable reason, e.g. date_from_datetime_parsing")
    message: str


class ErrorBody(_Out):
    status: int
    error: str = Field(description="validation_error, bad_request, not_found, internal_error")
    message: str
    fields: list[FieldProblem] = []
    request_id: str | None
