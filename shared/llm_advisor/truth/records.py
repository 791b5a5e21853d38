"""The truth report's value types: the live day, the model day, divergences and the verdict.

Plain frozen dataclasses with no I/O, so ``diff`` stays a pure function of two of them and
tests can build either side by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

IDENTICAL = "identical"
DIVERGED = "diverged"

# divergence kinds
SIGNAL_MISSED = "signal_missed"  # the model signalled, live did not
SIGNAL_EXTRA = "signal_extra"  # live signalled, the model did not
SIGNAL_STATUS = "signal_status"  # both signalled; accepted on one side, rejected on the other
ORDER_REFUSED = "order_refused"  # the executor refused the plan (stale)
ORDER_MISSING = "order_missing"  # an accepted plan with no order at the broker
ENTRY_LATE = "entry_late"  # filled, but on a later bar than the model's
PARTIAL_FILL = "partial_fill"
EXIT_MISMATCH = "exit_mismatch"  # another exit reason or time than the model's
SLIPPAGE = "slippage"  # same bars, other prices
EXTRA_TRADE = "extra_trade"  # a live position the model never held
FEES = "fees"

# causes
LATE_BAR = "late_bar"
QUARANTINED_BAR = "quarantined_bar"
TICK_NOT_RUN = "tick_not_run"
STALE_PLAN_REFUSED = "stale_plan_refused"
MANUAL_CLOSE = "manual_close"
KILL_SWITCH = "kill_switch"
KNOCK_ON = "knock_on"  # follows from an earlier divergence of the day (equity, position)
UNEXPLAINED = "unexplained"


@dataclass(frozen=True)
class SignalRow:
    """A signal on either side, keyed by its deterministic client_order_id."""

    client_order_id: str
    symbol: str
    setup: str
    side: str  # long | short
    signal_time: datetime
    status: str  # accepted | rejected
    qty: int
    reject_reason: str = ""


@dataclass(frozen=True)
class OrderRow:
    """A live entry order (the plan as the executor recorded it)."""

    client_order_id: str
    symbol: str
    status: str
    qty: int
    filled_qty: int
    submitted_at: datetime | None  # when the plan was published (else last updated)
    signal_time: datetime | None
    filled_avg_price: Decimal | None = None


@dataclass(frozen=True)
class FillRow:
    client_order_id: str
    symbol: str
    leg: str
    qty: int
    price: Decimal
    timestamp: datetime


@dataclass(frozen=True)
class TradeRow:
    """A round trip: the model's trade, or a live holding from open to flat."""

    client_order_id: str | None
    symbol: str
    side: str
    qty: int
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime | None
    exit_price: Decimal | None
    exit_reason: str | None
    pnl: Decimal
    fees: Decimal = Decimal(0)


@dataclass(frozen=True)
class BarIssue:
    """A bar the live tick quarantined (reason ``late`` or a validation rule)."""

    symbol: str
    bar_time: datetime
    reason: str
    recorded_at: datetime


@dataclass
class LiveDay:
    """What the live system recorded for one run and session."""

    run_id: str
    day: date
    signals: list[SignalRow] = field(default_factory=list)
    orders: list[OrderRow] = field(default_factory=list)
    fills: list[FillRow] = field(default_factory=list)
    trades: list[TradeRow] = field(default_factory=list)
    bar_issues: list[BarIssue] = field(default_factory=list)
    logged_minutes: set[datetime] = field(default_factory=set)  # per-minute log timestamps


@dataclass
class ModelDay:
    """The replay of the day with the live inputs."""

    signals: list[SignalRow] = field(default_factory=list)
    trades: list[TradeRow] = field(default_factory=list)
    bar_minutes: set[datetime] = field(default_factory=set)  # minutes with any bar
    start_equity: Decimal = Decimal(0)


@dataclass(frozen=True)
class Divergence:
    kind: str
    symbol: str
    time: datetime | None
    cause: str
    detail: str
    client_order_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "symbol": self.symbol,
            "time": None if self.time is None else self.time.isoformat(),
            "cause": self.cause,
            "detail": self.detail,
            "client_order_id": self.client_order_id,
        }


@dataclass
class TruthReport:
    run_id: str
    day: date
    verdict: str
    divergences: list[Divergence]
    counts: dict[str, int]
    pnl_live: Decimal
    pnl_model: Decimal
    pnl_split: dict[str, Decimal]  # slippage, missed, extra, fees, other (sums to the gap)
    slippage_usd: Decimal  # entry slippage x qty over matched entries, signed (+ = worse)
    slippage_bps: float | None  # mean entry slippage of matched entries, basis points
    start_equity: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "date": self.day.isoformat(),
            "verdict": self.verdict,
            "counts": dict(self.counts),
            "pnl_live": str(self.pnl_live),
            "pnl_model": str(self.pnl_model),
            "pnl_split": {k: str(v) for k, v in self.pnl_split.items()},
            "slippage_usd": str(self.slippage_usd),
            "slippage_bps": self.slippage_bps,
            "start_equity": str(self.start_equity),
            "divergences": [d.as_dict() for d in self.divergences],
        }

    def lines(self) -> list[str]:
        head = f"Truth {self.day.isoformat()} run {self.run_id}: {self.verdict.upper()}"
        c = self.counts
        out = [
            head,
            f"  signals matched {c.get('signals_matched', 0)}, missed by live "
            f"{c.get('signals_missed', 0)}, extra in live {c.get('signals_extra', 0)}; "
            f"entries matched {c.get('entries_matched', 0)}",
            f"  P/L live {self.pnl_live:+.2f} model {self.pnl_model:+.2f}  ("
            + ", ".join(f"{k} {v:+.2f}" for k, v in self.pnl_split.items())
            + ")",
            "  entry slippage "
            + ("n/a" if self.slippage_bps is None else f"{self.slippage_bps:+.1f} bps avg")
            + f", {self.slippage_usd:+.2f} USD in all",
        ]
        for d in self.divergences:
            at = "" if d.time is None else d.time.strftime("%H:%MZ ")
            out.append(f"  - {d.kind:<14} {d.symbol:<5} {at}cause={d.cause}: {d.detail}")
        return out
