"""What a stepped minute produces: compact records for the hot path, models for storage.

Transitions and signals are ``NamedTuple`` rows (thousands per replayed day at 500 symbols);
``to_model`` validates them into ``core.models`` when they are stored. ``StepResult`` is
everything one minute (or ``end_session``) emitted; while ``awaiting`` is set the minute is
still open (the validation protocol, ``Engine.resume``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.models import Fill, Setup, Side, Signal, State, Trade, TradePlan, Transition


class TransitionRow(NamedTuple):
    """A state transition, cheap to create on the hot path (``to_model`` for storage)."""

    timestamp: datetime
    symbol: str
    old_state: str
    new_state: str
    z: float | None
    mr_arm_z: float
    mr_trigger_z: float
    tc_arm_z: float
    tc_trigger_z: float
    reason: str

    def to_model(self) -> Transition:
        return Transition(
            timestamp=self.timestamp,
            symbol=self.symbol,
            old_state=State(self.old_state),
            new_state=State(self.new_state),
            z=self.z,
            mr_arm_z=self.mr_arm_z,
            mr_trigger_z=self.mr_trigger_z,
            tc_arm_z=self.tc_arm_z,
            tc_trigger_z=self.tc_trigger_z,
            reason=self.reason,
        )

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        return self.to_model().model_dump(mode=mode)


class SignalRecord(NamedTuple):
    """A signal as the engine emits it: the fields of ``core.models.Signal`` in a tuple
    (thousands per replayed day at 500 symbols; ``to_model`` validates for storage)."""

    signal_time: datetime
    symbol: str
    setup: Setup
    side: Side
    status: str
    reject_reason: str
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

    def to_model(self) -> Signal:
        return Signal.model_validate(self._asdict())

    def model_dump(self, mode: str = "python") -> dict[str, Any]:
        return self.to_model().model_dump(mode=mode)


class MinuteFeatures(NamedTuple):
    """One stepped minute's features for the symbols that had a bar: the per-minute log.

    Arrays (copies) aligned with ``idx`` (rows of ``symbols``), never per-symbol objects:
    the engine builds this only when ``step(..., log_minutes=True)`` asks (the live tick),
    so replay pays nothing. ``state`` is the code (``STATE_NAMES``) after the minute, as a
    transition's ``new_state``; ``side`` is +1/-1 while armed or in a position, else 0;
    ``thresholds`` is (4, k): mr_arm_z, mr_trigger_z, tc_arm_z, tc_trigger_z in force."""

    minute: datetime
    symbols: tuple[str, ...]
    idx: NDArray[np.intp]
    close: NDArray[np.float64]
    z: NDArray[np.float64]
    mu: NDArray[np.float64]
    sigma: NDArray[np.float64]
    atr_5m: NDArray[np.float64]
    state: NDArray[np.int64]
    side: NDArray[np.int64]
    thresholds: NDArray[np.float64]


class Candidate(NamedTuple):
    """A signal that passed sizing and every risk guard and waits for the driver's verdict
    (``Engine.resume``): the engine never asks a validator itself, so the step stays pure.

    ``as_of`` is what a validator may know: the signal bar has completed (minute + 1)."""

    signal: SignalRecord
    as_of: datetime


@dataclass
class StepResult:
    """What a minute produced. While ``awaiting`` is set the minute is still open (the lists
    are incomplete): give the verdict to ``Engine.resume`` until it is None."""

    transitions: list[TransitionRow] = field(default_factory=list)
    signals: list[SignalRecord] = field(default_factory=list)
    plans: list[TradePlan] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    minutes: list[MinuteFeatures] = field(default_factory=list)  # only when asked
    awaiting: Candidate | None = None  # the open minute's candidate (``step(validate=True)``)

    def extend(self, other: StepResult) -> None:
        self.minutes.extend(other.minutes)
        self.transitions.extend(other.transitions)
        self.signals.extend(other.signals)
        self.plans.extend(other.plans)
        self.fills.extend(other.fills)
        self.trades.extend(other.trades)
        self.cancelled.extend(other.cancelled)
