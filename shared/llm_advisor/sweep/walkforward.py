"""Walk-forward: pick the best settings on each train window, judge them on the next.

Windows count XNYS sessions. Fold k trains on sessions ``[k*test, k*test + train)`` and
tests on the ``test`` sessions right after (the last test window may be shorter), so test
windows are consecutive, never overlap, and never overlap their own train window.

Every trial is replayed once over the whole range; a window's figures are that replay's
sessions in the window. This is the same as replaying the chosen settings on the test
window (every position is flat at each close and each session's premarket inputs come
from earlier bars only), except for the equity the window starts with, which only scales
position sizes: test windows are therefore stitched as daily *returns*, compounded from
the starting equity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from llm_advisor.core.errors import UserError
from llm_advisor.sweep.metrics import Objective, max_drawdown_pct, sharpe
from llm_advisor.sweep.trial import TrialResult


@dataclass(frozen=True)
class Fold:
    train: tuple[int, int]  # session indices [lo, hi)
    test: tuple[int, int]


def parse_spec(text: str) -> tuple[int, int]:
    """``train=60,test=20`` -> (60, 20)."""
    parts = dict(p.split("=", 1) for p in text.split(",") if "=" in p)
    try:
        train, test = int(parts["train"]), int(parts["test"])
    except (KeyError, ValueError):
        raise UserError(f"--walk-forward={text!r}: expected train=N,test=M (sessions)") from None
    if train < 2 or test < 1:
        raise UserError(f"--walk-forward={text!r}: need train >= 2 and test >= 1 sessions")
    return train, test


def folds(n_sessions: int, train: int, test: int) -> list[Fold]:
    if n_sessions < train + 1:
        raise UserError(
            f"--walk-forward train={train},test={test}: the range has {n_sessions} sessions, "
            f"fewer than train + 1"
        )
    out: list[Fold] = []
    k = 0
    while k * test + train < n_sessions:
        lo = k * test
        out.append(Fold((lo, lo + train), (lo + train, min(lo + train + test, n_sessions))))
        k += 1
    return out


def _window(r: TrialResult, lo: int, hi: int) -> tuple[float, list[float], float]:
    """P/L, daily returns and drawdown % of the trial's sessions ``[lo, hi)``."""
    eq = [float(e) for e in r.equity]
    before = eq[lo - 1] if lo > 0 else r.start_equity
    rets = r.returns()[lo:hi]
    return eq[hi - 1] - before, rets, max_drawdown_pct(eq[lo:hi], before)


@dataclass
class FoldResult:
    train: list[str]  # first, last session
    test: list[str]
    trial_id: str | None
    settings: dict[str, str]
    train_score: float
    test_return_pct: float
    test_sharpe: float
    best_in_sample_test_return_pct: float


@dataclass
class WalkForward:
    train: int
    test: int
    folds: list[FoldResult] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)  # the test sessions, in order
    oos_equity: list[float] = field(default_factory=list)
    in_sample_equity: list[float] = field(default_factory=list)  # best overall, same days
    in_sample_trial: str = ""
    oos_return_pct: float = 0.0
    oos_sharpe: float = 0.0
    in_sample_return_pct: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _compound(start: float, rets: Sequence[float]) -> list[float]:
    out, e = [], start
    for r in rets:
        e *= 1 + r
        out.append(e)
    return out


def walk_forward(
    results: Sequence[TrialResult], objective: Objective, train: int, test: int
) -> WalkForward:
    if not results:
        raise UserError("walk-forward: no trial results")
    sessions = results[0].sessions
    start = results[0].start_equity
    overall = [objective.score(*_window(r, 0, len(sessions))) for r in results]
    best_all = results[max(range(len(results)), key=lambda i: overall[i])]
    wf = WalkForward(train, test, in_sample_trial=best_all.trial_id)
    oos: list[float] = []
    hindsight: list[float] = []
    for f in folds(len(sessions), train, test):
        scores = [objective.score(*_window(r, *f.train)) for r in results]
        i = max(range(len(results)), key=lambda j: scores[j])
        chosen = results[i] if math.isfinite(scores[i]) else None
        rets = (
            chosen.returns()[f.test[0] : f.test[1]] if chosen else [0.0] * (f.test[1] - f.test[0])
        )
        best_rets = best_all.returns()[f.test[0] : f.test[1]]
        oos += rets
        hindsight += best_rets
        wf.folds.append(
            FoldResult(
                train=[sessions[f.train[0]], sessions[f.train[1] - 1]],
                test=[sessions[f.test[0]], sessions[f.test[1] - 1]],
                trial_id=chosen.trial_id if chosen else None,
                settings=dict(chosen.settings) if chosen else {},
                train_score=scores[i],
                test_return_pct=(math.prod(1 + r for r in rets) - 1) * 100,
                test_sharpe=sharpe(rets),
                best_in_sample_test_return_pct=(math.prod(1 + r for r in best_rets) - 1) * 100,
            )
        )
        wf.sessions += sessions[f.test[0] : f.test[1]]
    wf.oos_equity = _compound(start, oos)
    wf.in_sample_equity = _compound(start, hindsight)
    wf.oos_return_pct = (wf.oos_equity[-1] / start - 1) * 100
    wf.in_sample_return_pct = (wf.in_sample_equity[-1] / start - 1) * 100
    wf.oos_sharpe = sharpe(oos)
    return wf
