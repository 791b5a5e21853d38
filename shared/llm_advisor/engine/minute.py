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
from llm_advisor.engine.sizing import BatchSizing
from llm_advisor.engine.states import REASONS, STATE_STR, Reason, StateCode

if TYPE_CHECKING:
    from llm_advisor.engine.facade import Engine

_ONE_MIN = timedelta(minutes=1)


@dataclass(eq=False)
class OpenMinute:
    minute: datetime
    res: StepResult
    idx: NDArray[np.intp]
    ix: NDArray[np.intp] | slice
    st: NDArray[np.int64]
    new_st: NDArray[np.int64]
    new_sd: NDArray[np.int64]
    new_since: NDArray[np.int64]
    reason: NDArray[np.int64]
    moved: NDArray[np.bool_]
    z: NDArray[np.float64]
    b: NDArray[np.int64]
    kk: NDArray[np.float64]
    close: NDArray[np.float64]
    mean: NDArray[np.float64]
    sigma: NDArray[np.float64]
    log_minutes: bool
    validate: bool
    js: list[int] = field(default_factory=list)  # positions in ``idx`` with a signal
    sig_mr: NDArray[np.bool_] | None = None
    sd: NDArray[np.int64] | None = None
    batch: BatchSizing | None = None
    equity: Decimal = Decimal(0)
    next: int = 0  # index into js of the signal being decided
    pending: SignalRecord | None = None
    why_rejected: dict[int, str] = field(default_factory=dict)

    def decide(self, eng: Engine, signal: SignalRecord, reject: str) -> None:
        """Book (or reject, to cooldown) the signal at ``js[next]`` and move on."""
        j = self.js[self.next]
        self.next += 1
        if reject:
            self.res.signals.append(signal._replace(status="rejected", reject_reason=reject))
            self.why_rejected[j] = f"rejected:{reject}"
            self.new_st[j] = StateCode.COOLDOWN
        else:
            accept(eng, signal, int(self.idx[j]), 1 if signal.side is Side.LONG else -1, self.res)
            self.new_st[j] = StateCode.IN_POSITION
        self.new_since[j] = self.b[j]
        self.reason[j] = Reason.SIGNAL


def next_candidate(eng: Engine, op: OpenMinute) -> bool:
    """Size, guard and decide the minute's signals in order, stopping (True) at a candidate
    that needs a verdict (only when the driver asked, ``step(validate=True)``)."""
    sig_mr, sd, batch = op.sig_mr, op.sd, op.batch
    assert sig_mr is not None and sd is not None and batch is not None
    while op.next < len(op.js):
        j = op.js[op.next]
        s = int(op.idx[j])
        setup = Setup.MR if sig_mr[j] else Setup.TC
        signal, reject = size_and_guard(
            eng, s, setup, int(sd[j]), float(op.z[j]), op.minute, batch, op.next, op.equity
        )
        if not reject and op.validate:
            op.pending = signal
            op.res.awaiting = Candidate(signal, op.minute + _ONE_MIN)
            return True
        op.decide(eng, signal, reject)
    return False


def finish(eng: Engine, op: OpenMinute) -> None:
    """Close the minute: transitions, the new states, the minute's log."""
    minute, res, idx, ix = op.minute, op.res, op.idx, op.ix
    st, new_st, new_sd, z, kk = op.st, op.new_st, op.new_sd, op.z, op.kk
    moved = op.moved
    a = eng.arrays
    # transitions, built from array slices in one pass
    if moved.any():
        sel = np.flatnonzero(moved)
        syms = idx[sel].tolist()
        olds = st[sel].tolist()
        news = new_st[sel].tolist()
        zs = z[sel].tolist()
        whys = op.reason[sel].tolist()
        kl = eng.thresholds.k_list
        names = eng.symbols
        why_rejected = op.why_rejected
        for j, s_, o_, n_, z_, w_ in zip(sel.tolist(), syms, olds, news, zs, whys, strict=True):
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
                    why_rejected.get(j) or REASONS[w_],
                )
            )
    a.state[ix] = new_st
    a.side[ix] = new_sd
    a.since[ix] = op.new_since
    if op.log_minutes:
        active = (new_st >= StateCode.MR_ARMED) & (new_st <= StateCode.IN_POSITION)
        res.minutes.append(
            MinuteFeatures(
                minute,
                eng.symbols,
                idx.copy(),
                op.close.copy(),
                z,
                op.mean.copy(),
                op.sigma,
                a.atr5[idx],
                new_st,
                np.where(active, new_sd, 0),
                kk.copy(),
            )
        )
