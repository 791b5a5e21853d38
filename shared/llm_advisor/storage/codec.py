"""Python values <-> column values, with the validation that makes bad rows impossible.

Both engines keep values exactly: PostgreSQL natively (NUMERIC, timestamptz, JSONB); SQLite
as text (Decimal strings, fixed-width UTC ISO times that sort as text, JSON). Every check
raises ``DataError`` naming ``table.column`` and the offending value, so a caller learns
what to fix instead of reading a constraint name from a driver traceback.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import Enum
from typing import Any

from llm_advisor.core.calendar import NY
from llm_advisor.core.errors import DataError
from llm_advisor.core.models import SYMBOL_RE
from llm_advisor.storage.urls import Engine

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
MICROS = Decimal(1_000_000)


def _fail(field: str, value: Any, why: str) -> DataError:
    return DataError(f"{field}={value!r}: {why}")


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def utc(value: Any, field: str) -> datetime:
    """Aware datetime in UTC; naive or non-time values are refused."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _fail(field, value, "not an ISO-8601 time") from None
    if not isinstance(value, datetime):
        raise _fail(field, value, "expected a timezone-aware datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _fail(field, value.isoformat(), "naive timestamp; a timezone-aware time is required")
    return value.astimezone(UTC)


def day(value: Any, field: str) -> date:
    if isinstance(value, datetime):
        raise _fail(field, value, "expected a date, got a datetime")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _fail(field, value, "not an ISO date YYYY-MM-DD") from None
    raise _fail(field, value, "expected a date")


def decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        raise _fail(field, value, "expected a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(field, value, "not a finite number")
        return Decimal(repr(value))
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _fail(field, value, "not a decimal number") from None
    if not d.is_finite():
        raise _fail(field, value, "not a finite number")
    return d


def number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _fail(field, value, "expected a number")
    f = float(value)
    if not math.isfinite(f):
        raise _fail(field, value, "not a finite number")
    return f


def integer(value: Any, field: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float | Decimal) and value == int(value):
            value = int(value)
        else:
            raise _fail(field, value, "expected an integer")
    if minimum is not None and value < minimum:
        rel = "positive" if minimum == 1 else f">= {minimum}"
        raise _fail(field, value, f"must be {rel}")
    return int(value)


def symbol(value: Any, field: str) -> str:
    if not isinstance(value, str) or not SYMBOL_RE.match(value):
        raise _fail(field, value, "not a valid ticker (1-10 of A-Z, 0-9, '.', '-')")
    return value


def text(value: Any, field: str, allowed: frozenset[str] | None = None) -> str:
    value = _plain(value)
    if not isinstance(value, str):
        raise _fail(field, value, "expected text")
    if allowed is not None and value not in allowed:
        raise _fail(field, value, f"must be one of {sorted(allowed)}")
    return value


def session_date_of(ts: datetime) -> date:
    """The New York trading date a UTC time belongs to (regular sessions never cross it)."""
    return ts.astimezone(NY).date()


def micros(value: Decimal) -> int:
    """Integer micro-dollars for exact SQL sums on SQLite (the text column stays exact)."""
    return int((value * MICROS).to_integral_value(rounding=ROUND_HALF_EVEN))


def _json_default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, datetime):
        return o.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if o.tzinfo else o.isoformat()
    if isinstance(o, date):
        return o.isoformat()
    if isinstance(o, Enum):
        return o.value
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    if hasattr(o, "model_dump"):
        return o.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=_json_default, sort_keys=True, separators=(",", ":"))


class Codec:
    """Per-engine encoding of column values (writes) and decoding (reads)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine == "postgres"
        if self.pg:
            from psycopg.types.json import Jsonb

            self._jsonb = Jsonb

    # -- writes
    def ts(self, value: datetime | None) -> Any:
        if value is None:
            return None
        return value if self.pg else value.astimezone(UTC).strftime(TS_FORMAT)

    def day(self, value: date | None) -> Any:
        if value is None:
            return None
        return value if self.pg else value.isoformat()

    def dec(self, value: Decimal | None) -> Any:
        if value is None:
            return None
        return value if self.pg else str(value)

    def json(self, value: Any) -> Any:
        if value is None:
            return None
        if self.pg:
            return self._jsonb(value, dumps=dumps)
        return dumps(value)

    # -- reads
    def ts_out(self, value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.strptime(value, TS_FORMAT).replace(tzinfo=UTC)

    def day_out(self, value: Any) -> date | None:
        if value is None:
            return None
        return value if isinstance(value, date) else date.fromisoformat(value)

    def dec_out(self, value: Any) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)

    def json_out(self, value: Any) -> Any:
        if value is None or not isinstance(value, str | bytes):
            return value
        return json.loads(value)
