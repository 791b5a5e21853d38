"""The spec's "State machine (per symbol)", for every symbol with a bar at once.

One call decides one bar: bracket closed -> cooldown, cooldown expiry, the window reset,
trend-continuation arming (which may pre-empt an armed mean reversion), the armed states'
timeouts, aborts, overshoots, pullbacks and triggers, and mean-reversion arming, in that
order; a symbol moves at most once per bar (``Moves.moved``). Signals are returned, not
acted on: sizing, the risk guards and the order belong to the facade (``Engine``).

Why a table: the rules are a pure function of a symbol's state and a dozen yes/no facts
about its bar (is z past the arm level, has the arm timed out, ...). ``transition_table``
writes that function once, in the spec's order, and evaluates it for every combination of
state and facts when the module loads; a step then computes the facts for all symbols
(one comparison each), packs them into a key and looks the outcome up. That costs about a
third of applying the rules block by block with masks, and the table is checked against a
plain per-symbol reading of the spec for every key (``tests/engine/test_machine_table.py``).

z is NaN where it is undefined, and every comparison with NaN is false, so the facts that
read z are false there and no rule that needs z fires, as the spec says.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.config import StrategyConfig
from llm_advisor.engine.arrays import SymbolArrays
from llm_advisor.engine.states import Reason, StateCode
from llm_advisor.engine.thresholds import Thresholds

I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]

# The facts about a symbol's bar, one bit each of the table key (then the state above them).
CLOSED = 0  # its bracket closed or was cancelled (``close_pending``)
COOLED = 1  # bars since the last move >= cooldown_bars
MAXED = 2  # trades today >= max_trades_per_symbol
TIMED_OUT = 3  # bars since arming > arm_timeout_bars
ABORT = 4  # |z| >= mr_abort_z
OVERSHOOT = 5  # side x z >= mr_arm (z went further the wrong way)
MR_TRIGGER = 6  # side x z >= -mr_trigger (z came back far enough)
PULLBACK = 7  # side x z <= tc_trigger
BROKEN = 8  # side x z < -tc_trigger
TC_TRIGGER = 9  # side x z > tc_trigger
TC_ARM = 10  # htf x z >= tc_arm (|z| past the level on the HTF side)
MR_ARM = 11  # |z| >= mr_arm
ATR_OK = 12  # ATR percentile <= cap, and the session allows entries (no kill switch)
Z_UP = 13  # z > 0 (an arming's side follows from it)
NO_BAR = 14  # the symbol has no bar this minute: nothing happens to it
OUTSIDE = 15  # the bar is outside the entry window (one value for every symbol)
STATE_SHIFT = 16
N_BITS = OUTSIDE  # facts computed per symbol (OUTSIDE is one value for the whole bar)
N_KEYS = len(StateCode) << STATE_SHIFT

# A key's signal: none, mean reversion, trend continuation.
NO_SIGNAL, SIGNAL_MR, SIGNAL_TC = 0, 1, 2

IDLE, MR_ARMED, TC_ARMED, TC_PULLBACK, IN_POSITION, COOLDOWN, DONE = map(int, StateCode)


class Moves(NamedTuple):
    """One bar's decisions for the rows ``idx`` (arrays aligned with it)."""

    b: I64  # bar index after this bar
    st: I64  # state before
    sd: I64  # side before
    new_st: NDArray[np.int8]
    new_sd: I64
    new_since: I64
    reason: NDArray[np.int8]  # ``Reason`` codes
    moved: Mask
    sig_mr: Mask
    sig_tc: Mask
    any_signal: bool


class Table(NamedTuple):
    """Outcomes by key: the new state, the reason (0: no move), whether the move starts a
    new age (``since`` := this bar), the new side (0: unchanged) and the signal."""

    state: NDArray[np.int8]
    reason: NDArray[np.int8]
    since: NDArray[np.bool_]
    side: NDArray[np.int8]
    signal: NDArray[np.int8]


def transition_table() -> Table:
    """Every key's outcome (state and facts), the spec's rules in the spec's order; each
    rule applies only to symbols no earlier rule moved."""
    key = np.arange(N_KEYS, dtype=np.int64)

    def fact(bit: int) -> Mask:
        return ((key >> bit) & 1).astype(bool)

    st = key >> STATE_SHIFT
    new_st = st.copy()
    reason = np.zeros(N_KEYS, dtype=np.int64)
    since = np.zeros(N_KEYS, dtype=bool)
    side = np.zeros(N_KEYS, dtype=np.int64)
    signal = np.zeros(N_KEYS, dtype=np.int64)
    moved = fact(NO_BAR)  # a symbol without a bar is never moved
    z_sign = np.where(fact(Z_UP), 1, -1)

    def move(
        m: Mask, to: int | I64, why: Reason, *, new_age: bool = False, to_side: I64 | None = None
    ) -> None:
        m = m & ~moved
        new_st[m] = to if isinstance(to, int) else to[m]
        reason[m] = why
        since[m] = new_age
        if to_side is not None:
            side[m] = to_side[m]
        moved[m] = True

    outside = fact(OUTSIDE)
    allowed = fact(ATR_OK) & ~fact(MAXED) & ~outside
    timed_out = fact(TIMED_OUT)
    move((st == IN_POSITION) & fact(CLOSED), COOLDOWN, Reason.CLOSED, new_age=True)
    after_cooldown = np.where(fact(MAXED), DONE, IDLE)
    move((st == COOLDOWN) & fact(COOLED), after_cooldown, Reason.COOLDOWN_END)
    armed = (st == MR_ARMED) | (st == TC_ARMED) | (st == TC_PULLBACK)
    move(armed & outside, IDLE, Reason.WINDOW)
    # trend continuation follows the HTF bias, which is z's side (TC_ARM says so)
    tc_from = (st == IDLE) | (st == MR_ARMED)
    tc_arm = tc_from & allowed & fact(TC_ARM)
    move(tc_arm, TC_ARMED, Reason.ARM_TC, new_age=True, to_side=z_sign)
    # an armed mean reversion: timeout, abort, overshoot, else maybe its signal
    mr = st == MR_ARMED
    move(mr & timed_out, IDLE, Reason.TIMEOUT)
    move(mr & fact(ABORT), IDLE, Reason.ABORT)
    move(mr & fact(OVERSHOOT), IDLE, Reason.OVERSHOOT)
    signal[mr & ~moved & fact(MR_TRIGGER)] = SIGNAL_MR
    # an armed trend continuation waits for its pullback
    tc = st == TC_ARMED
    move(tc & timed_out, IDLE, Reason.TIMEOUT)
    move(tc & fact(PULLBACK), TC_PULLBACK, Reason.PULLBACK, new_age=True)
    # after the pullback: timeout, the trend broken, else maybe its signal
    pb = st == TC_PULLBACK
    move(pb & timed_out, IDLE, Reason.TIMEOUT)
    move(pb & fact(BROKEN), IDLE, Reason.BROKEN)
    signal[pb & ~moved & fact(TC_TRIGGER)] = SIGNAL_TC
    # mean-reversion arming: |z| in [mr_arm, mr_abort), fading the move
    mr_arm = (st == IDLE) & allowed & fact(MR_ARM) & ~fact(ABORT)
    move(mr_arm, MR_ARMED, Reason.ARM_MR, new_age=True, to_side=-z_sign)
    i8 = np.int8
    return Table(new_st.astype(i8), reason.astype(i8), since, side.astype(i8), signal.astype(i8))


TABLE = transition_table()
# the key is one matrix product: facts (as 0.0/1.0) and the state times their weights
_WEIGHTS = np.array([float(1 << i) for i in range(N_BITS)] + [float(1 << STATE_SHIFT)])
_OUTSIDE = float(1 << OUTSIDE)
_R_CLOSED = int(Reason.CLOSED)


class Machine:
    """The state machine's scratch space for one engine (the facts of each symbol's bar),
    so a step allocates little. Holds no state of its own: everything lives in the arrays.

    Facts are computed into a bool buffer (a comparison writing bools is twice as fast as
    one writing floats), then copied at once into the float buffer the key is made from."""

    def __init__(self, config: StrategyConfig, n: int) -> None:
        self.config = config
        self.bits = np.zeros((N_BITS, n), dtype=bool)
        self.facts = np.zeros((N_BITS + 1, n), dtype=np.float64)

    def decide(
        self,
        a: SymbolArrays,
        has: NDArray[np.bool_],
        z: NDArray[np.float64],
        thr: Thresholds,
        in_window: bool,
        kill: bool,
    ) -> Moves:
        """States after this bar for every symbol (rows without a bar, ``~has``, stay as
        they are); ``a.bar_idx`` advances where there is a bar; closed brackets'
        ``close_pending`` is consumed; ``thr`` holds the thresholds in force."""
        cfg = self.config
        b = a.bar_idx
        b += has  # ``b`` is the arrays' own (read by this minute only)
        st = a.state
        sd = a.side
        since = a.since
        f = self.bits
        age = b - since
        np.copyto(f[CLOSED], a.close_pending)
        np.greater_equal(age, cfg.cooldown_bars, out=f[COOLED])
        np.greater_equal(a.trades_today, cfg.max_trades_per_symbol, out=f[MAXED])
        np.logical_not(has, out=f[NO_BAR])
        if in_window:
            # outside the window only the state and the four facts above matter (the
            # table's outcome ignores the rest there: tests/engine/test_machine_table.py)
            cmp = thr.cmp
            absz = np.abs(z)
            sz = sd * z
            np.greater(age, cfg.arm_timeout_bars, out=f[TIMED_OUT])
            np.greater_equal(absz, cfg.mr_abort_z, out=f[ABORT])
            np.greater_equal(sz, cmp[0], out=f[OVERSHOOT])
            np.greater_equal(sz, cmp[1], out=f[MR_TRIGGER])
            np.less_equal(sz, cmp[2], out=f[PULLBACK])
            np.less(sz, cmp[3], out=f[BROKEN])
            np.greater(sz, cmp[2], out=f[TC_TRIGGER])
            np.greater_equal(a.htf * z, cmp[4], out=f[TC_ARM])
            np.greater_equal(absz, cmp[0], out=f[MR_ARM])
            np.greater(z, 0.0, out=f[Z_UP])
            if kill:
                f[ATR_OK] = False
            else:
                np.less_equal(a.atr_pct, cfg.atr_percentile_cap, out=f[ATR_OK])
        facts = self.facts
        facts[:N_BITS] = f
        facts[N_BITS] = st
        keyf = _WEIGHTS @ facts
        if not in_window:
            keyf += _OUTSIDE
        key = keyf.astype(np.intp)
        t = TABLE
        new_st = t.state.take(key)
        reason = t.reason.take(key)
        moved = reason != 0
        new_since = np.where(t.since.take(key), b, since)
        side = t.side.take(key)
        new_sd = np.where(side != 0, side, sd)
        sig = t.signal.take(key)
        any_signal = bool(sig.any())
        if any_signal:
            sig_mr = sig == SIGNAL_MR
            sig_tc = sig == SIGNAL_TC
        else:
            sig_mr = sig_tc = np.zeros(st.size, dtype=bool)
        if a.close_pending.any():
            a.close_pending[reason == _R_CLOSED] = False
        return Moves(
            b, st, sd, new_st, new_sd, new_since, reason, moved, sig_mr, sig_tc, any_signal
        )
