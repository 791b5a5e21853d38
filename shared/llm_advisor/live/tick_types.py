"""What a tick is given and what it reports, apart from the tick's own steps.

The handlers, the paper loop, the local day and the alerts build ``TickDeps`` and read
``TickResult`` without caring how a tick runs; keeping these shapes (and the ports the tick
writes through) here keeps ``tick.py`` about the order of side effects alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Fill, Trade, TradePlan, Transition
from llm_advisor.core.ports import (
    Account,
    MarketDataPort,
    StateStorePort,
    TradeValidatorPort,
)
from llm_advisor.data.bar_checks import Reject
from llm_advisor.live.bars import BarWait
from llm_advisor.live.engine import MinuteFeatures
from llm_advisor.live.session_context import ContextLoader
from llm_advisor.live.validation import ValidationRecord


class PlanPublisher(Protocol):
    def publish(self, plans: Sequence[TradePlan]) -> int: ...


class TickRecorder(Protocol):
    """The slice of the repository the tick writes (idempotent upserts)."""

    def save_transitions(self, transitions: Iterable[Transition]) -> int: ...

    def save_signals(self, signals: Iterable[Any]) -> int: ...

    def save_bar_quarantine(self, rejects: Iterable[Reject], recorded_at: datetime) -> int: ...

    def save_minute_log(self, minutes: Sequence[MinuteFeatures]) -> int: ...

    def prune_minute_log(self, before: datetime) -> int: ...

    def save_validations(self, records: Sequence[ValidationRecord]) -> int: ...


@dataclass
class TickDeps:
    config: StrategyConfig
    symbols: Sequence[str]
    state: StateStorePort
    market_data: MarketDataPort
    plans: PlanPublisher
    records: TickRecorder
    context: ContextLoader
    validator: TradeValidatorPort | None = None
    bar_wait: BarWait | None = None  # None: step what the feed has at the tick, never hold
    # The broker account, read once when the session begins (``begin_engine``): live sizing
    # starts from its equity. None (replay-like tests): the engine's own simulated equity.
    account: Callable[[], Account] | None = None
    max_sizing_equity: Decimal | None = None  # ADVISOR_MAX_SIZING_EQUITY
    # The per-minute log (``records.save_minute_log``): on by default; the session's last
    # tick deletes the run's rows older than this many days (0: keep every row).
    minute_log: bool = True
    minute_log_retention_days: int = 30  # ADVISOR_MINUTE_LOG_RETENTION_DAYS


@dataclass
class TickResult:
    """What one tick did (also the handler's response and the local day's log)."""

    status: str  # closed | before_open | no_context | up_to_date | stepped | conflict | done
    now: datetime
    session_day: date | None = None
    minutes: list[datetime] = field(default_factory=list)
    plans: list[TradePlan] = field(default_factory=list)
    signals: list[Any] = field(default_factory=list)  # the engine's signal records
    transitions: int = 0
    trades: list[Trade] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    version: int | None = None
    session_ended: bool = False
    quarantined: list[Reject] = field(default_factory=list)  # bad bars, never stepped
    late: list[Reject] = field(default_factory=list)  # bars that came after their minute
    held: datetime | None = None  # the last minute, left for the next tick to step
    bar_polls: int = 0
    minute_rows: int = 0  # per-minute log rows written (live_loop_minutes)
    minute_rows_pruned: int = 0  # rows past the retention, deleted by the session's last tick
    validations: list[ValidationRecord] = field(default_factory=list)  # verdicts this tick
    # symbols / armed / in_position in the engine after this tick (the status heartbeat),
    # from the engine the tick already holds: no second read of the saved state
    engine: dict[str, int] | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "now": self.now.isoformat(),
            "session_day": self.session_day.isoformat() if self.session_day else None,
            "minutes": len(self.minutes),
            "first_minute": self.minutes[0].isoformat() if self.minutes else None,
            "last_minute": self.minutes[-1].isoformat() if self.minutes else None,
            "plans": [p.client_order_id for p in self.plans],
            "signals": len(self.signals),
            "transitions": self.transitions,
            "trades": len(self.trades),
            "version": self.version,
            "session_ended": self.session_ended,
            "bars_quarantined": len(self.quarantined),
            "bars_late": len(self.late),
            "held_minute": self.held.isoformat() if self.held else None,
            "bar_polls": self.bar_polls,
            "minute_rows": self.minute_rows,
            "minute_rows_pruned": self.minute_rows_pruned,
            "validations": len(self.validations),
            "validations_rejected": sum(1 for v in self.validations if v.verdict == "reject"),
        }
