"""Storage-side records that have no domain model elsewhere (runs, equity points)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RunKind = Literal["live", "paper", "local", "replay", "sweep"]
RUN_KINDS: tuple[RunKind, ...] = ("live", "paper", "local", "replay", "sweep")
# The kinds whose records are an account's trading (the API's default view draws from
# these, never from a replay or a sweep).
ACCOUNT_KINDS: tuple[RunKind, ...] = ("live", "paper", "local")
# runs.mode predates runs.kind (migration 0006) and keeps its narrower CHECK.
MODE_OF_KIND: dict[str, Literal["replay", "live", "demo"]] = {
    "live": "live",
    "paper": "live",
    "local": "demo",
    "replay": "replay",
    "sweep": "replay",
}


class RunRecord(BaseModel):
    """One run: what was run (kind, label), with which config and code, and its result.

    ``kind`` says whose records these are: the account (``live``/``paper``), a simulated
    day (``local``), or a backtest (``replay``/``sweep``) that must never be mixed into the
    account's figures. ``mode`` is the older, coarser column (replay/live/demo)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str = Field(min_length=1, max_length=200)
    mode: Literal["replay", "live", "demo"]
    kind: RunKind = "replay"
    label: str = Field("", max_length=200)
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
