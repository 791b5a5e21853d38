"""The spec's "State machine (per symbol)", for every symbol with a bar at once.

One call decides one bar: bracket closed -> cooldown, cooldown expiry, the window reset,
trend-continuation arming (which may pre-empt an armed mean reversion), the armed states'
timeouts, aborts, overshoots, pullbacks and triggers, and mean-reversion arming, in that
order; a symbol moves at most once per bar (``moved``). Signals are returned, not acted on:
sizing, the risk guards and the order belong to the facade (``Engine``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.config import StrategyConfig
from llm_advisor.engine.arrays import SymbolArrays
from llm_advisor.engine.states import Reason, StateCode
from llm_advisor.engine.thresholds import MR_ARM, MR_TRIGGER, TC_ARM, TC_TRIGGER

I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]

# plain ints for the hot path (numpy converts an IntEnum member more slowly than an int)
IDLE, MR_ARMED, TC_ARMED, TC_PULLBACK, IN_POSITION, COOLDOWN, DONE = map(int, StateCode)
R = {r.name: int(r) for r in Reason}
R_CLOSED, R_COOLDOWN_END, R_WINDOW = R["CLOSED"], R["COOLDOWN_END"], R["WINDOW"]
R_ARM_TC = R["ARM_TC"]
R_TIMEOUT, R_ABORT, R_OVERSHOOT = R["TIMEOUT"], R["ABORT"], R["OVERSHOOT"]
R_PULLBACK, R_BROKEN, R_ARM_MR = R["PULLBACK"], R["BROKEN"], R["ARM_MR"]


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


def decide(
    a: SymbolArrays,
    cfg: StrategyConfig,
    idx: NDArray[np.intp],
    ix: NDArray[np.intp] | slice,
    z: NDArray[np.float64],
    zd: Mask,
    kk: NDArray[np.float64],
    in_window: bool,
    kill: bool,
) -> Moves:
    """States after this bar (``a.bar_idx`` advances; closed brackets' ``close_pending``
    is consumed); ``kk`` holds the thresholds in force (rows ``thresholds.MR_ARM`` ...)."""
    a.bar_idx[ix] += 1
    b = a.bar_idx[ix]
    st = a.state[ix]
    sd = a.side[ix]
    since = a.since[ix]
    mr_arm, mr_trigger, tc_arm, tc_trigger = kk[MR_ARM], kk[MR_TRIGGER], kk[TC_ARM], kk[TC_TRIGGER]
    absz = np.abs(z)
    n_to = cfg.arm_timeout_bars
    new_st = st.copy()
    new_sd = sd.copy()
    new_since = since.copy()
    reason = np.zeros(idx.size, dtype=np.int64)

    m = (st == IN_POSITION) & a.close_pending[ix]
    new_st[m] = COOLDOWN
    new_since[m] = b[m]
    reason[m] = R_CLOSED
    a.close_pending[idx[m]] = False
    moved = m

    m = (st == COOLDOWN) & (b - since >= cfg.cooldown_bars)
    if m.any():
        done = a.trades_today[ix] >= cfg.max_trades_per_symbol
        new_st[m] = np.where(done[m], DONE, IDLE)
        reason[m] = R_COOLDOWN_END
        moved = moved | m

    armed = (st == MR_ARMED) | (st == TC_ARMED) | (st == TC_PULLBACK)
    if not in_window:
        m = armed & ~moved
        new_st[m] = IDLE
        reason[m] = R_WINDOW
        moved = moved | m
        allowed: Mask = np.zeros(idx.size, dtype=bool)
    elif kill:
        allowed = np.zeros(idx.size, dtype=bool)
    else:
        allowed = (a.atr_pct[ix] <= cfg.atr_percentile_cap) & (
            a.trades_today[ix] < cfg.max_trades_per_symbol
        )

    sgn = np.where(z > 0, 1, np.where(z < 0, -1, 0))
    htf = a.htf[ix]
    m = (
        ~moved
        & allowed
        & zd
        & ((st == IDLE) | (st == MR_ARMED))
        & (absz >= tc_arm)
        & (htf != 0)
        & (sgn == htf)
    )
    if m.any():
        new_st[m] = TC_ARMED
        new_sd[m] = sgn[m]
        new_since[m] = b[m]
        reason[m] = R_ARM_TC
        moved = moved | m

    age = b - since
    sig_mr: Mask = np.zeros(idx.size, dtype=bool)
    sig_tc: Mask = np.zeros(idx.size, dtype=bool)
    mr = ~moved & (st == MR_ARMED)
    if mr.any():
        timeout = mr & (age > n_to)
        live = mr & ~timeout & zd
        abort = live & (absz >= cfg.mr_abort_z)
        live &= ~abort
        overshoot = live & (((sd < 0) & (z <= -mr_arm)) | ((sd > 0) & (z >= mr_arm)))
        live &= ~overshoot
        sig_mr = live & (((sd < 0) & (z <= mr_trigger)) | ((sd > 0) & (z >= -mr_trigger)))
        gone = timeout | abort | overshoot
        new_st[gone] = IDLE
        reason[timeout] = R_TIMEOUT
        reason[abort] = R_ABORT
        reason[overshoot] = R_OVERSHOOT
        moved = moved | gone
    tc_armed = ~moved & (st == TC_ARMED)
    if tc_armed.any():
        timeout = tc_armed & (age > n_to)
        pullback = tc_armed & ~timeout & zd & (sd * z <= tc_trigger)
        new_st[timeout] = IDLE
        reason[timeout] = R_TIMEOUT
        new_st[pullback] = TC_PULLBACK
        new_since[pullback] = b[pullback]
        reason[pullback] = R_PULLBACK
        moved = moved | timeout | pullback
    tc_pull = ~moved & (st == TC_PULLBACK)
    if tc_pull.any():
        timeout = tc_pull & (age > n_to)
        live = tc_pull & ~timeout & zd
        broken = live & (sd * z < -tc_trigger)
        sig_tc = live & ~broken & (sd * z > tc_trigger)
        new_st[timeout | broken] = IDLE
        reason[timeout] = R_TIMEOUT
        reason[broken] = R_BROKEN
        moved = moved | timeout | broken
    m = ~moved & allowed & zd & (st == IDLE) & (absz >= mr_arm) & (absz < cfg.mr_abort_z)
    if m.any():
        new_st[m] = MR_ARMED
        new_sd[m] = -sgn[m]
        new_since[m] = b[m]
        reason[m] = R_ARM_MR
        moved = moved | m
    return Moves(b, st, sd, new_st, new_sd, new_since, reason, moved, sig_mr, sig_tc)
