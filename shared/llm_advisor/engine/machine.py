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
OUTSIDE = 13  # the bar is outside the entry window (one value for every symbol)
STATE_SHIFT = 14
N_BITS = OUTSIDE  # facts computed per symbol (OUTSIDE is one value for the whole bar)
NO_BAR = len(StateCode)  # the key's state for a symbol without a bar: nothing happens
N_KEYS = (NO_BAR + 1) << STATE_SHIFT

# What a key's outcome asks of the step besides the new state and the reason.
F_SINCE = 1  # the move starts a new age: since := this bar
F_SIDE_MR = 2  # side := -sign(z) (mean reversion fades the move)
F_SIDE_TC = 4  # side := HTF bias (trend continuation follows it)
F_SIG_MR = 8  # a mean-reversion signal
F_SIG_TC = 16  # a trend-continuation signal

IDLE, MR_ARMED, TC_ARMED, TC_PULLBACK, IN_POSITION, COOLDOWN, DONE = map(int, StateCode)


class Moves(NamedTuple):
    """One bar's decisions for the rows ``idx`` (arrays aligned with it)."""

    b: I64  # bar index after this bar
    st: I64  # state before
    sd: I64  # side before
    new_st: I64
    new_sd: I64
    new_since: I64
    reason: I64  # ``Reason`` codes
    moved: Mask
    sig_mr: Mask
    sig_tc: Mask
    any_signal: bool


def transition_table() -> tuple[I64, I64, NDArray[np.uint8]]:
    """New state, reason and flags for every key (state and facts), the spec's rules in
    the spec's order; each rule applies only to symbols no earlier rule moved."""
    key = np.arange(N_KEYS, dtype=np.int64)

    def fact(bit: int) -> Mask:
        return ((key >> bit) & 1).astype(bool)

    st = key >> STATE_SHIFT
    new_st = st.copy()
    reason = np.zeros(N_KEYS, dtype=np.int64)
    flags = np.zeros(N_KEYS, dtype=np.uint8)
    moved = np.zeros(N_KEYS, dtype=bool)

    def move(m: Mask, to: int | I64, why: Reason, flag: int = 0) -> None:
        m = m & ~moved
        new_st[m] = to if isinstance(to, int) else to[m]
        reason[m] = why
        flags[m] |= flag
        moved[m] = True

    outside = fact(OUTSIDE)
    allowed = fact(ATR_OK) & ~fact(MAXED) & ~outside
    timed_out = fact(TIMED_OUT)
    move((st == IN_POSITION) & fact(CLOSED), COOLDOWN, Reason.CLOSED, F_SINCE)
    after_cooldown = np.where(fact(MAXED), DONE, IDLE)
    move((st == COOLDOWN) & fact(COOLED), after_cooldown, Reason.COOLDOWN_END)
    armed = (st == MR_ARMED) | (st == TC_ARMED) | (st == TC_PULLBACK)
    move(armed & outside, IDLE, Reason.WINDOW)
    tc_from = (st == IDLE) | (st == MR_ARMED)
    move(tc_from & allowed & fact(TC_ARM), TC_ARMED, Reason.ARM_TC, F_SINCE | F_SIDE_TC)
    # an armed mean reversion: timeout, abort, overshoot, else maybe its signal
    mr = st == MR_ARMED
    move(mr & timed_out, IDLE, Reason.TIMEOUT)
    move(mr & fact(ABORT), IDLE, Reason.ABORT)
    move(mr & fact(OVERSHOOT), IDLE, Reason.OVERSHOOT)
    flags[mr & ~moved & fact(MR_TRIGGER)] |= F_SIG_MR
    # an armed trend continuation waits for its pullback
    tc = st == TC_ARMED
    move(tc & timed_out, IDLE, Reason.TIMEOUT)
    move(tc & fact(PULLBACK), TC_PULLBACK, Reason.PULLBACK, F_SINCE)
    # after the pullback: timeout, the trend broken, else maybe its signal
    pb = st == TC_PULLBACK
    move(pb & timed_out, IDLE, Reason.TIMEOUT)
    move(pb & fact(BROKEN), IDLE, Reason.BROKEN)
    flags[pb & ~moved & fact(TC_TRIGGER)] |= F_SIG_TC
    # mean-reversion arming: |z| in [mr_arm, mr_abort)
    mr_arm = (st == IDLE) & allowed & fact(MR_ARM) & ~fact(ABORT)
    move(mr_arm, MR_ARMED, Reason.ARM_MR, F_SINCE | F_SIDE_MR)
    return new_st, reason, flags


NEW_STATE, REASON, FLAGS = transition_table()
# the key is one matrix product: facts (as 0.0/1.0) and the state times their weights
_WEIGHTS = np.array([float(1 << i) for i in range(N_BITS)] + [float(1 << STATE_SHIFT)])
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
        b = a.bar_idx + has
        a.bar_idx[:] = b
        st = a.state
        sd = a.side
        since = a.since
        f = self.bits
        age = b - since
        np.copyto(f[CLOSED], a.close_pending)
        np.greater_equal(age, cfg.cooldown_bars, out=f[COOLED])
        np.greater_equal(a.trades_today, cfg.max_trades_per_symbol, out=f[MAXED])
        if in_window:
            # outside the window only the state and the three facts above matter (the
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
            if kill:
                f[ATR_OK] = False
            else:
                np.less_equal(a.atr_pct, cfg.atr_percentile_cap, out=f[ATR_OK])
        facts = self.facts
        facts[:N_BITS] = f
        np.copyto(facts[N_BITS], np.where(has, st, NO_BAR))
        if in_window:
            key = (_WEIGHTS @ facts).astype(np.intp)
        else:
            key = (_WEIGHTS @ facts + float(1 << OUTSIDE)).astype(np.intp)
        new_st = NEW_STATE.take(key)
        np.copyto(new_st, st, where=~has)  # the table cannot know a bar-less row's state
        reason = REASON.take(key)
        fl = FLAGS.take(key)
        moved = reason != 0
        new_since = np.where((fl & F_SINCE) != 0, b, since)
        new_sd = sd.copy()
        arming = fl & (F_SIDE_MR | F_SIDE_TC)
        if arming.any():
            j = np.flatnonzero(arming & F_SIDE_TC)
            new_sd[j] = a.htf[j]
            j = np.flatnonzero(arming & F_SIDE_MR)
            new_sd[j] = -np.sign(z[j]).astype(np.int64)
        sig = fl >= F_SIG_MR
        any_signal = bool(sig.any())
        if any_signal:
            sig_mr = (fl & F_SIG_MR) != 0
            sig_tc = (fl & F_SIG_TC) != 0
        else:
            sig_mr = sig_tc = sig
        if a.close_pending.any():
            a.close_pending[reason == _R_CLOSED] = False
        return Moves(
            b, st, sd, new_st, new_sd, new_since, reason, moved, sig_mr, sig_tc, any_signal
        )
