"""Storage-side records that have no domain model elsewhere (runs, equity points)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class RunRecord(BaseModel):
    """One replay/live/demo run: what was run, with which config and code, and its result."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str = Field(min_length=1, max_length=200)
    mode: Literal["replay", "live", "demo"]
    config_hash: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
    code_version: str = ""
    start_date: date | None = None
    end_date: date | None = None
    symbols: list[str] = Field(default_factory=list)
    summary: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class EquitySnapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    timestamp: datetime
    equity: Decimal
    cash: Decimal | None = None
    realized_pnl: Decimal | None = None
    unrealized_pnl: Decimal | None = None


LIVE_RUN = "live"
