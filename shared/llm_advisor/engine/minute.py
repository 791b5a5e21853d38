"""A minute between ``Engine.step`` and its last ``Engine.resume``, and how it closes.

The state machine's arrays for the minute (aligned with ``idx``) and where the order loop
stands live here. Only in memory: ``to_state`` refuses an open minute, so a saved state is
always between minutes. ``finish`` writes the minute's transitions (the live_loop_logs
stream), the new states and, when asked, the per-minute features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from llm_advisor.core.models import Setup, Side
from llm_advisor.engine.orders import accept, size_and_guard
from llm_advisor.engine.records import (
    Candidate,
    MinuteFeatures,
    SignalRecord,
    StepResult,
    TransitionRow,
)
from llm_advisor.engine.states import REASONS, STATE_STR, Reason, StateCode

if TYPE_CHECKING:
    from llm_advisor.engine.facade import Engine

_ONE_MIN = timedelta(minutes=1)


@dataclass(eq=False)
class OpenMinute:
    minute: datetime
    res: StepResult
    has: NDArray[np.bool_]  # rows with a bar this minute
    idx: NDArray[np.intp]  # the same rows as indices
    st: NDArray[np.int64]
    new_st: NDArray[np.int8]
    new_sd: NDArray[np.int64]
    new_since: NDArray[np.int64]
    reason: NDArray[np.int8]
    moved: NDArray[np.bool_]
    z: NDArray[np.float64]
    b: NDArray[np.int64]
    kk: NDArray[np.float64]
    close: NDArray[np.float64]
    mean: NDArray[np.float64]
    sigma: NDArray[np.float64]
    log_minutes: bool
    validate: bool
    js: list[int] = field(default_factory=list)  # rows with a signal, in symbol order
    sig_mr: NDArray[np.bool_] | None = None
    sd: NDArray[np.int64] | None = None
    equity: Decimal = Decimal(0)
    committed: float = 0.0  # notional of every bracket, kept up to date by ``decide``
    broker_bp: float | None = None  # the broker's buying power (live drivers), as a float
    next: int = 0  # index into js of the signal being decided
    pending: SignalRecord | None = None
    why_rejected: dict[int, str] = field(default_factory=dict)

    def decide(self, eng: Engine, signal: SignalRecord, reject: str) -> None:
        """Book (or reject, to cooldown) the signal at ``js[next]`` and move on."""
        j = self.js[self.next]
        self.next += 1
        if reject:
            if signal.reject_reason != reject:  # refused after the guards (the validator)
                signal = signal._replace(status="rejected", reject_reason=reject)
            self.res.signals.append(signal)
            self.why_rejected[j] = f"rejected:{reject}"
            self.new_st[j] = StateCode.COOLDOWN
        else:
            accept(eng, signal, j, 1 if signal.side is Side.LONG else -1, self.res)
            # the book's committed notional gains the new bracket at its reference price:
            # the same sum, in the same order, as ``SimBook.committed_notional`` gives
            self.committed += signal.qty * signal.ref_price
            self.new_st[j] = StateCode.IN_POSITION
        self.new_since[j] = self.b[j]
        self.reason[j] = Reason.SIGNAL


def next_candidate(eng: Engine, op: OpenMinute) -> bool:
    """Size, guard and decide the minute's signals in order, stopping (True) at a candidate
    that needs a verdict (only when the driver asked, ``step(validate=True)``)."""
    sig_mr, sd = op.sig_mr, op.sd
    assert sig_mr is not None and sd is not None
    equity_f = float(op.equity)
    while op.next < len(op.js):
        j = op.js[op.next]
        setup = Setup.MR if sig_mr[j] else Setup.TC
        money = (equity_f, op.committed, op.broker_bp)
        signal, reject = size_and_guard(
            eng, j, setup, int(sd[j]), float(op.z[j]), op.minute, op.equity, money
        )
        if not reject and op.validate:
            op.pending = signal
            op.res.awaiting = Candidate(signal, op.minute + _ONE_MIN)
            return True
        op.decide(eng, signal, reject)
    return False


def finish(eng: Engine, op: OpenMinute) -> None:
    """Close the minute: transitions, the new states, the minute's log."""
    minute, res = op.minute, op.res
    st, new_st, new_sd, z, kk = op.st, op.new_st, op.new_sd, op.z, op.kk
    moved = op.moved
    a = eng.arrays
    # transitions, built from array slices in one pass (before the states are written:
    # ``st`` is a view of them)
    if moved.any():
        sel = np.flatnonzero(moved)
        rows = sel.tolist()
        olds = st[sel].tolist()
        news = new_st[sel].tolist()
        zs = z[sel].tolist()
        whys = op.reason[sel].tolist()
        kl = eng.thresholds.k_list
        names = eng.symbols
        why_rejected = op.why_rejected
        for s_, o_, n_, z_, w_ in zip(rows, olds, news, zs, whys, strict=True):
            k = kl[s_]
            res.transitions.append(
                TransitionRow(
                    minute,
                    names[s_],
                    STATE_STR[o_],
                    STATE_STR[n_],
                    None if math.isnan(z_) else z_,
                    k[0],
                    k[1],
                    k[2],
                    k[3],
                    why_rejected.get(s_) or REASONS[w_],
                )
            )
    a.state[:] = new_st
    a.side[:] = new_sd
    a.since[:] = op.new_since
    if op.log_minutes:
        idx = op.idx
        ns = new_st[idx].astype(np.int64)
        active = (ns >= StateCode.MR_ARMED) & (ns <= StateCode.IN_POSITION)
        res.minutes.append(
            MinuteFeatures(
                minute,
                eng.symbols,
                idx.copy(),
                op.close[idx],
                z[idx],
                op.mean[idx],
                op.sigma[idx],
                a.atr5[idx],
                ns,
                np.where(active, new_sd[idx], 0),
                kk[:, idx],
            )
        )
