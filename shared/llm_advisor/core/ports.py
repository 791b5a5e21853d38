"""Ports: the interfaces between the pure engine and the outside world.

Each port has a real adapter (Alpaca, Bedrock/Anthropic, DynamoDB, PostgreSQL, S3) and a
local one (simulator, rules analyst, SQLite, in-memory), and every adapter of a port passes
the same contract test suite in ``tests/contract/``. ``bootstrap.py`` is the one place that
chooses which adapter is wired in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

import pandas as pd
from pydantic import BaseModel, ConfigDict

from llm_advisor.core.clock import Clock
from llm_advisor.core.models import TradePlan

__all__ = [
    "Account",
    "Alert",
    "BrokerOrder",
    "BrokerPort",
    "BrokerPosition",
    "Clock",
    "MarketDataPort",
    "NotifierPort",
    "ObjectStorePort",
    "StateStorePort",
    "Timeframe",
]

Timeframe = Literal["1Min", "5Min", "1Hour", "1Day"]


class MarketDataPort(Protocol):
    """Historical and latest bars. Frames have a UTC ``timestamp`` index (bar start) and
    columns ``open, high, low, close, volume``; a minute with no trades has no row."""

    def get_bars(
        self, symbols: list[str], start: datetime, end: datetime, timeframe: Timeframe = "1Min"
    ) -> dict[str, pd.DataFrame]: ...


# Alpaca's order statuses that still may fill or change (everything else is final).
OPEN_ORDER_STATUSES = frozenset(
    {
        "new",
        "partially_filled",
        "accepted",
        "held",
        "pending_new",
        "pending_cancel",
        "pending_replace",
        "accepted_for_bidding",
        "calculated",
        "done_for_day",
    }
)


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Account(_Wire):
    """The broker account. ``last_equity`` is the equity as of the previous close (Alpaca's
    field): a live session sizes from it, a figure that stays put through the day."""

    equity: Decimal
    cash: Decimal
    buying_power: Decimal
    trading_blocked: bool = False
    last_equity: Decimal | None = None


class BrokerOrder(_Wire):
    """An order as the broker reports it (entry or bracket leg)."""

    broker_order_id: str
    client_order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    qty: int
    filled_qty: int = 0
    filled_avg_price: Decimal | None = None
    status: str
    order_type: str = "market"
    order_class: str = "bracket"
    leg: Literal["entry", "stop", "target", "other"] = "entry"
    parent_id: str | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    submitted_at: datetime | None = None
    filled_at: datetime | None = None
    # Set only by ``submit_bracket``: True when the broker refused the client order id as
    # already taken, i.e. another submission (a concurrent executor) placed this order.
    # The executor reports such a submit as ``duplicate``, never as its own ``submitted``.
    duplicate: bool = False


class BrokerPosition(_Wire):
    symbol: str
    qty: int  # signed: + long, - short
    avg_entry_price: Decimal
    market_value: Decimal | None = None
    unrealized_pl: Decimal | None = None
    current_price: Decimal | None = None  # the broker's mark (Alpaca's current_price)


@runtime_checkable
class BrokerPort(Protocol):
    """Places bracket orders exactly once (by ``client_order_id``) and reports state."""

    def submit_bracket(self, plan: TradePlan) -> BrokerOrder:
        """Submit; if the broker refuses the client order id as already taken, return the
        existing order with ``duplicate=True`` (it was placed by another submission)."""
        ...

    def get_order(self, client_order_id: str) -> BrokerOrder | None: ...

    def list_orders(
        self, status: Literal["open", "closed", "all"] = "all"
    ) -> list[BrokerOrder]: ...

    def list_positions(self) -> list[BrokerPosition]: ...

    def cancel_all_orders(self) -> int: ...

    def close_all_positions(self) -> int: ...

    def account(self) -> Account: ...

    def is_market_open(self) -> bool: ...


class StateStorePort(Protocol):
    """Versioned blobs (engine state between one-minute invocations).

    ``save`` must fail with ``ConflictError`` unless the stored version equals
    ``expected_version`` (None = must not exist), so an overlapping or retried invocation can
    never overwrite newer state."""

    def load(self, key: str) -> tuple[bytes, int] | None: ...

    def save(self, key: str, blob: bytes, expected_version: int | None) -> int: ...


class ObjectStorePort(Protocol):
    """Archive of documents (premarket context, reports): S3 in AWS, a folder locally."""

    def put(self, key: str, body: bytes, content_type: str = "application/json") -> None: ...

    def get(self, key: str) -> bytes | None: ...


class SessionDates(Protocol):
    def __call__(self, start: date, end: date) -> list[date]: ...


AlertSeverity = Literal["info", "warning", "critical"]


class Alert(_Wire):
    """One message for the owner (a fill, an exit, the kill switch, a dead tick, ...).

    ``key`` names the event, not the sending: the alert log refuses a key it has seen, so a
    rerun of the same minute never alerts twice (``notify/watch.py``)."""

    key: str
    kind: str  # fill | exit | kill_switch | analyst_fallback | validator_fallback | ...
    severity: AlertSeverity
    at: datetime
    subject: str
    message: str


@runtime_checkable
class NotifierPort(Protocol):
    """Where alerts go: SNS in AWS, one stderr line locally, a list in tests. ``notify``
    delivers or raises; the caller decides whether a failed delivery matters."""

    def notify(self, alert: Alert) -> None: ...


# ---------------------------------------------------------------- portfolio read side
# One query layer serves the REST API, the reports and (later) the chatbot. Storage
# implements it on SQLite and PostgreSQL; the API depends only on this Protocol.


class RunRow(_Wire):
    """One run as the API lists it: whose records (kind), a name, dates and a small summary.

    ``start_date``/``end_date`` are the run's own (a replay's range) or, for a run without
    an end (the account, a local day), the first and last session it has trades for."""

    run_id: str
    kind: Literal["live", "paper", "local", "replay", "sweep"]
    label: str
    start_date: date | None = None
    end_date: date | None = None
    symbols: list[str] = []
    created_at: datetime
    trades: int = 0
    realized_pnl: Decimal = Decimal(0)


class DailyBiasRow(_Wire):
    date: date
    symbol: str
    bias: Literal["bullish", "bearish", "choppy"]
    confidence: float
    htf_bias: str | None = None
    news_summary: str | None = None
    model_version: str | None = None


class TradeRow(_Wire):
    id: int
    run_id: str | None
    symbol: str
    setup: str
    side: str
    signal_time: datetime
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime
    exit_price: Decimal
    qty: int
    exit_reason: str
    pnl: Decimal
    commission: Decimal
    client_order_id: str


class TradePage(_Wire):
    items: list[TradeRow]
    total: int
    limit: int
    offset: int


class DayPnl(_Wire):
    date: date
    realized: Decimal
    fees: Decimal
    trades: int
    wins: int


class EquityPoint(_Wire):
    time: datetime
    equity: Decimal


class PnlReport(_Wire):
    start_date: date
    end_date: date
    days: list[DayPnl]
    total_realized: Decimal
    total_fees: Decimal
    trades: int
    win_rate: float | None
    max_drawdown: Decimal
    equity_curve: list[EquityPoint]


class PositionRow(_Wire):
    symbol: str
    side: str
    qty: int
    entry_price: Decimal
    entry_time: datetime
    mark_price: Decimal | None
    unrealized_pnl: Decimal | None
    stop_price: Decimal | None
    target_price: Decimal | None
    client_order_id: str | None  # the bracket entry (plan); None: no order of ours opened it
    # History (storage position_history): an open row is updated by every monitor run, a
    # closed one keeps how it ended. ``entry_time`` is when the holding opened.
    status: Literal["open", "closed"] = "open"
    setup: str | None = None
    stop_status: str | None = None  # the leg's broker status: a working stop may be 'held'
    target_status: str | None = None
    closed_at: datetime | None = None
    exit_price: Decimal | None = None
    realized_pnl: Decimal | None = None
    exit_reason: str | None = None
    updated_at: datetime | None = None


class AnalysisRow(_Wire):
    timestamp: datetime
    session_date: date
    provider: str
    model: str | None
    market_assessment: str
    confidence: float
    mult_mr_arm: float
    mult_mr_trigger: float
    mult_tc_arm: float
    mult_tc_trigger: float
    reasoning: str
    per_symbol: dict[str, dict[str, float]] = {}


class SignalRow(_Wire):
    signal_time: datetime
    symbol: str
    setup: str
    side: str
    status: str
    reject_reason: str
    z: float
    ref_price: Decimal
    stop_price: Decimal | None
    target_price: Decimal | None
    qty: int
    mr_arm_z: float
    mr_trigger_z: float
    tc_arm_z: float
    tc_trigger_z: float
    client_order_id: str


class PortfolioQueries(Protocol):
    """The read side the portfolio API serves (implemented by storage on both engines)."""

    def daily_bias(self, day: date, symbol: str | None = None) -> list[DailyBiasRow]: ...

    def trades(
        self,
        start: date,
        end: date,
        symbol: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> TradePage: ...

    def pnl(self, start: date, end: date) -> PnlReport: ...

    def open_positions(self) -> list[PositionRow]: ...

    def closed_positions(self, day: date) -> list[PositionRow]:
        """Positions closed during session ``day`` (New York date of the close)."""
        ...

    def latest_analysis(self, at: datetime | None = None) -> AnalysisRow | None: ...

    def signals(
        self, start: date, end: date, symbol: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[SignalRow]: ...

    def ping(self) -> bool: ...

    # Runs: every query above reads one run once ``scoped(run_id)`` names it.
    def scoped(self, run_id: str | None) -> PortfolioQueries: ...

    def runs(self) -> list[RunRow]: ...

    def find_run(self, run_id: str) -> RunRow | None: ...

    def latest_run(self, kinds: Sequence[str]) -> RunRow | None: ...


# ---------------------------------------------------------------- advisor side
from llm_advisor.core.models import Advice, MarketView, Signal  # noqa: E402


class AnalystPort(Protocol):
    """Market analysis: reads a ``MarketView`` and returns bounded advice, never raises.

    Any failure inside an analyst must come back as neutral advice (multipliers 1.0)."""

    def analyze(self, view: MarketView) -> Advice: ...


class TradeValidatorPort(Protocol):
    """Reviews one signal before its order: True = go, False = reject, None = could not
    decide (the engine then applies ``validation_failure_policy``)."""

    def validate(self, signal: Signal, view: MarketView) -> bool | None: ...
