"""The LLM ledger: every model call with what was asked, what came back and what it cost.

It is the audit trail (why did the thresholds move at 10:15?), the budget's meter and the
source of ``--analyst replay``: a backtest run with a real model can be re-run from the
ledger alone, byte for byte, with no network and no cost. That only works if the request
hash is a pure function of what was asked (model, prompt, schema): wall-clock time, retry
counts and the provider's request ids must never enter it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from llm_advisor.core.calendar import NY
from llm_advisor.core.clock import require_utc
from llm_advisor.core.errors import DataError


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: equal requests give equal bytes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def request_hash(model: str, prompt: Mapping[str, Any] | str, schema: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of (model, prompt, schema); no time, no ids."""
    blob = canonical_json({"model": model, "prompt": prompt, "schema": schema})
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class LLMCallRecord(BaseModel):
    """One logical model call (after retries): a row of ``llm_calls``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_hash: str = Field(min_length=64, max_length=64)
    provider: str
    model: str
    request: dict[str, Any]
    response: dict[str, Any] | None = None
    tokens_in: int = Field(0, ge=0)
    tokens_out: int = Field(0, ge=0)
    cost_usd: Decimal = Decimal(0)
    latency_ms: int = Field(0, ge=0)
    error: str | None = None
    decision_time: datetime
    created_at: datetime

    @field_validator("decision_time", "created_at", mode="before")
    @classmethod
    def _utc(cls, v: Any, info: Any) -> Any:
        if isinstance(v, str):
            v = datetime.fromisoformat(v.replace("Z", "+00:00"))
        if isinstance(v, datetime):
            return require_utc(v, info.field_name)
        return v

    @property
    def ok(self) -> bool:
        return self.error is None and self.response is not None


@runtime_checkable
class LedgerPort(Protocol):
    """Where call records go; ``lookup`` returns the latest record of a request hash."""

    def record(self, call: LLMCallRecord) -> None: ...

    def lookup(self, request_hash: str) -> LLMCallRecord | None: ...


def _ny_day(ts: datetime) -> date:
    return ts.astimezone(NY).date()


class InMemoryLedger:
    """Ledger for tests, replays and the demo; also answers the budget's spend query."""

    def __init__(self, records: list[LLMCallRecord] | None = None) -> None:
        self._lock = threading.Lock()
        self._records: list[LLMCallRecord] = []
        self._by_hash: dict[str, LLMCallRecord] = {}
        for r in records or []:
            self.record(r)

    def record(self, call: LLMCallRecord) -> None:
        with self._lock:
            self._records.append(call)
            self._by_hash[call.request_hash] = call

    def lookup(self, request_hash: str) -> LLMCallRecord | None:
        return self._by_hash.get(request_hash)

    def records(self) -> list[LLMCallRecord]:
        return list(self._records)

    def spent_usd(self, day: date) -> Decimal:
        """Cost of the calls made (``created_at``) on ``day`` in New York."""
        return sum((r.cost_usd for r in self._records if _ny_day(r.created_at) == day), Decimal(0))

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[LLMCallRecord]:
        return iter(list(self._records))


class JsonlLedger(InMemoryLedger):
    """Append-only JSON-lines file: one record per line, loaded whole on open.

    A line that does not parse is a ``DataError`` naming the file and line, so a corrupted
    ledger is never silently replayed as "no answer".
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        super().__init__()
        if self.path.exists():
            for lineno, line in enumerate(self.path.read_text("utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    rec = LLMCallRecord.model_validate_json(line)
                except ValueError as exc:
                    raise DataError(
                        f"{self.path}:{lineno}: not an LLM call record ({exc})"
                    ) from None
                super().record(rec)

    def record(self, call: LLMCallRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(call.model_dump_json() + "\n")
        super().record(call)
