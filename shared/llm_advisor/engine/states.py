"""The state machine's vocabulary: state and transition-reason codes as ``IntEnum``.

The step works on int64 arrays over symbols, so states and reasons are small integers there;
these enums give them names (``StateCode.MR_ARMED`` instead of ``1``) and map them to the
strings the spec writes (``core.models.State`` values, transition reasons). The order of
``StateCode`` is stored in saved engine states and in the per-minute log: never reorder.
"""

from __future__ import annotations

from enum import IntEnum

from llm_advisor.core.models import State


class StateCode(IntEnum):
    """A symbol's state as the arrays hold it (values are stored: append only)."""

    IDLE = 0
    MR_ARMED = 1
    TC_ARMED = 2
    TC_PULLBACK = 3
    IN_POSITION = 4
    COOLDOWN = 5
    DONE = 6

    @property
    def model(self) -> State:
        return STATE_NAMES[self]


class Reason(IntEnum):
    """Why a symbol moved this bar; ``text`` is the transition's ``reason`` string."""

    NONE = 0
    CLOSED = 1
    COOLDOWN_END = 2
    WINDOW = 3
    ARM_TC = 4
    TIMEOUT = 5
    ABORT = 6
    OVERSHOOT = 7
    PULLBACK = 8
    BROKEN = 9
    ARM_MR = 10
    SIGNAL = 11
    REJECTED = 12

    @property
    def text(self) -> str:
        return REASONS[self]


STATE_NAMES: tuple[State, ...] = (
    State.IDLE,
    State.MR_ARMED,
    State.TC_ARMED,
    State.TC_PULLBACK,
    State.IN_POSITION,
    State.COOLDOWN,
    State.DONE,
)
STATE_STR: tuple[str, ...] = tuple(st.value for st in STATE_NAMES)
REASONS: tuple[str, ...] = (
    "",
    "position_closed",
    "cooldown_expired",
    "window_reset",
    "arm_tc",
    "timeout",
    "abort",
    "overshoot",
    "pullback",
    "trend_broken",
    "arm_mr",
    "signal",
    "rejected",
)
BIAS_SIGN: dict[str, int] = {"bullish": 1, "bearish": -1, "neutral": 0}
BIAS_NAME: dict[int, str] = {1: "bullish", -1: "bearish", 0: "neutral"}

assert len(STATE_NAMES) == len(StateCode) and len(REASONS) == len(Reason)
