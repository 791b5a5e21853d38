"""Typed domain records exchanged between the engine, the adapters and storage.

These are the *boundary* types (validated pydantic models): what goes to SQS, DynamoDB, the
database and the API. The engine's hot path works on numpy arrays and produces these only
for the rare events (transitions, signals, orders, fills, trades).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from llm_advisor.core.clock import require_utc

SYMBOL_RE = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")


def validate_symbol(s: str) -> str:
    if not isinstance(s, str) or not SYMBOL_RE.match(s):
        raise ValueError(f"symbol={s!r} is not a valid ticker (1-10 of A-Z, 0-9, '.', '-')")
    return s


class Side(StrEnum):
    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        return 1 if self is Side.LONG else -1


class Setup(StrEnum):
    MR = "MR"
    TC = "TC"


class State(StrEnum):
    IDLE = "idle"
    MR_ARMED = "mr_armed"
    TC_ARMED = "tc_armed"
    TC_PULLBACK = "tc_pullback"
    IN_POSITION = "in_position"
    COOLDOWN = "cooldown"
    DONE = "done"


class ExitReason(StrEnum):
    STOP = "stop"
    TARGET = "target"
    EOD = "eod"
    KILL_SWITCH = "kill_switch"


class RejectReason(StrEnum):
    ATR_UNDEFINED = "atr_undefined"
    SIZE_ZERO = "size_zero"
    KILL_SWITCH = "kill_switch"
    MAX_POSITIONS = "max_positions"
    DAILY_RISK = "daily_risk"  # opt-in: StrategyConfig.risk_budget_check
    VALIDATION = "llm_rejected"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _utc(v: Any, field: str) -> Any:
    if isinstance(v, str):
        v = datetime.fromisoformat(v.replace("Z", "+00:00"))
    if isinstance(v, datetime):
        return require_utc(v, field)
    return v


class Bar(_Record):
    """One OHLCV bar stamped with its start time (UTC); complete one period later."""

    symbol: str
    timestamp: datetime
    open: float = Field(gt=0)
    high: float = Field(gt=0)
    low: float = Field(gt=0)
    close: float = Field(gt=0)
    volume: float = Field(ge=0)

    _sym = field_validator("symbol")(validate_symbol)

    @field_validator("timestamp", mode="before")
    @classmethod
    def _ts(cls, v: Any) -> Any:
        return _utc(v, "timestamp")

    @model_validator(mode="after")
    def _ohlc(self) -> Bar:
        if self.high < self.low:
            raise ValueError(f"high={self.high} < low={self.low}")
        if not (self.low <= self.open <= self.high and self.low <= self.close <= self.high):
            raise ValueError("open/close outside [low, high]")
        return self


class ThresholdMultipliers(_Record):
    """The analyst's advice: factors on the four arming/trigger thresholds, clamped."""

    mr_arm: float = 1.0
    mr_trigger: float = 1.0
    tc_arm: float = 1.0
    tc_trigger: float = 1.0

    @field_validator("mr_arm", "mr_trigger", "tc_arm", "tc_trigger", mode="before")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        try:
            f = float(v)
        except (TypeError, ValueError):
            return 1.0
        return f if math.isfinite(f) else 1.0

    def clamped(self, lo: float = 0.5, hi: float = 1.5) -> ThresholdMultipliers:
        """Non-finite -> 1.0, then clamp each factor into [lo, hi]."""
        return ThresholdMultipliers(
            **{k: min(hi, max(lo, float(v))) for k, v in self.model_dump().items()}
        )

    @classmethod
    def neutral(cls) -> ThresholdMultipliers:
        return cls()

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.mr_arm, self.mr_trigger, self.tc_arm, self.tc_trigger)


class Thresholds(_Record):
    """Effective z thresholds (base x multiplier); the MR abort takes no multiplier."""

    mr_arm_z: float
    mr_trigger_z: float
    tc_arm_z: float
    tc_trigger_z: float
    mr_abort_z: float

    def apply_multiplier(self, m: ThresholdMultipliers) -> Thresholds:
        return Thresholds(
            mr_arm_z=self.mr_arm_z * m.mr_arm,
            mr_trigger_z=self.mr_trigger_z * m.mr_trigger,
            tc_arm_z=self.tc_arm_z * m.tc_arm,
            tc_trigger_z=self.tc_trigger_z * m.tc_trigger,
            mr_abort_z=self.mr_abort_z,
        )


class Advice(_Record):
    """A market analysis as the engine consumes it: when it was made and what it says."""

    as_of: datetime
    interval_minutes: int = Field(15, ge=1, le=1440)
    multipliers: ThresholdMultipliers = ThresholdMultipliers()
    per_symbol: dict[str, ThresholdMultipliers] = Field(default_factory=dict)
    source: str = "neutral"

    @field_validator("as_of", mode="before")
    @classmethod
    def _ts(cls, v: Any) -> Any:
        return _utc(v, "as_of")


class Snapshot(_Record):
    """Premarket HTF stats and 5-minute bands for one symbol and session."""

    symbol: str
    session_date: str
    ema_slope_daily: float
    ema_slope_hourly: float
    hh_ll_tag: Literal["HH_HL", "LL_LH", "RANGE"]
    atr_daily: float | None
    atr_percentile: float
    htf_bias: Literal["bullish", "bearish", "neutral"]
    band_mu: float | None
    band_sigma: float | None
    atr_5m: float | None
    atr_5m_warmup: tuple[float, ...] = ()
    last_close_5m: float | None = None
    daily_bars: int = 0


class Transition(_Record):
    """One state-machine transition (the ``live_loop_logs`` stream)."""

    timestamp: datetime
    symbol: str
    old_state: State
    new_state: State
    z: float | None
    mr_arm_z: float
    mr_trigger_z: float
    tc_arm_z: float
    tc_trigger_z: float
    reason: str = ""


class Signal(_Record):
    """A setup's trigger with the plan it produced and the verdict of the risk guards."""

    signal_time: datetime
    symbol: str
    setup: Setup
    side: Side
    status: Literal["accepted", "rejected"]
    reject_reason: str = ""
    z: float
    ref_price: float
    atr_5m: float | None
    risk_per_share: float | None
    stop_price: float | None
    target_price: float | None
    qty: int
    equity: Decimal
    mr_arm_z: float
    mr_trigger_z: float
    tc_arm_z: float
    tc_trigger_z: float
    mult_mr_arm: float
    mult_mr_trigger: float
    mult_tc_arm: float
    mult_tc_trigger: float
    client_order_id: str


class TradePlan(_Record):
    """What the executor needs to place one bracket order, exactly once."""

    client_order_id: str
    symbol: str
    side: Side
    setup: Setup
    qty: int = Field(gt=0)
    ref_price: float = Field(gt=0)
    stop_price: float = Field(gt=0)
    target_price: float = Field(gt=0)
    signal_time: datetime
    session_date: str

    @model_validator(mode="after")
    def _bracket_sane(self) -> TradePlan:
        if self.side is Side.LONG and not (self.stop_price < self.ref_price < self.target_price):
            raise ValueError("long bracket needs stop < ref < target")
        if self.side is Side.SHORT and not (self.target_price < self.ref_price < self.stop_price):
            raise ValueError("short bracket needs target < ref < stop")
        return self


class Fill(_Record):
    client_order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    qty: int = Field(gt=0)
    price: Decimal = Field(gt=0)
    timestamp: datetime
    leg: Literal["entry", "stop", "target", "eod", "kill_switch", "manual"] = "entry"
    broker_order_id: str | None = None


class Trade(_Record):
    """A closed round trip: the row of ``trades.csv``."""

    symbol: str
    setup: Setup
    side: Side
    signal_time: datetime
    entry_time: datetime
    entry_price: Decimal
    exit_time: datetime
    exit_price: Decimal
    qty: int = Field(gt=0)
    exit_reason: ExitReason
    pnl: Decimal
    client_order_id: str
    commission: Decimal = Decimal(0)


class Position(_Record):
    symbol: str
    side: Side
    qty: int = Field(gt=0)
    entry_price: Decimal
    entry_time: datetime
    stop_price: float
    target_price: float
    client_order_id: str
    setup: Setup
    mark_price: Decimal | None = None

    @property
    def unrealized(self) -> Decimal:
        if self.mark_price is None:
            return Decimal(0)
        return (self.mark_price - self.entry_price) * self.qty * self.side.sign


class SymbolView(_Record):
    """What the analyst may see of one symbol at a decision time (features, no future)."""

    symbol: str
    last_close: float | None
    z: float | None
    mu: float | None
    sigma: float | None
    atr_5m: float | None
    state: State
    htf_bias: str
    atr_percentile: float
    daily_bias: str | None = None
    daily_bias_confidence: float | None = None
    interval_return_pct: float | None = None
    interval_high: float | None = None
    interval_low: float | None = None
    trades_today: int = 0


class MarketView(_Record):
    """Input of a market analysis: every symbol's view plus premarket context."""

    as_of: datetime
    session_date: str
    symbols: list[SymbolView]
    news_summary: str = ""
    vix: float | None = None
    open_positions: int = 0
    realized_pnl_today: Decimal = Decimal(0)


class AnalysisResult(_Record):
    """The LLM's (or rules analyst's) structured answer, already validated and clamped."""

    market_assessment: Literal["bullish", "bearish", "choppy", "volatile", "neutral"] = "neutral"
    opportunities: list[str] = Field(default_factory=list)
    confidence: float = Field(0.0, ge=0, le=100)
    threshold_multipliers: ThresholdMultipliers = ThresholdMultipliers()
    per_symbol: dict[str, ThresholdMultipliers] = Field(default_factory=dict)
    reasoning: str = ""
