"""Deflated Sharpe ratio, Sharpe/drawdown and the walk-forward windows."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from llm_advisor.core.errors import UserError
from llm_advisor.sweep.metrics import (
    Objective,
    daily_returns,
    deflated_sharpe,
    expected_max_sharpe,
    max_drawdown_pct,
    sharpe,
)
from llm_advisor.sweep.trial import TrialResult
from llm_advisor.sweep.walkforward import folds, parse_spec, walk_forward


def test_more_trials_raise_the_bar_and_lower_the_deflated_sharpe() -> None:
    rng = np.random.default_rng(1)
    best = list(rng.normal(0.002, 0.01, 250))
    trial_srs = list(rng.normal(0.0, 0.05, 1000))
    dsr = [deflated_sharpe(best, trial_srs[:n], n).dsr for n in (2, 10, 100, 1000)]
    assert dsr == sorted(dsr, reverse=True)
    assert dsr[0] > dsr[-1] + 0.1
    sr0 = [expected_max_sharpe(0.0025, n) for n in (2, 10, 100, 1000)]
    assert sr0 == sorted(sr0)


def test_deflated_sharpe_matches_the_papers_formula() -> None:
    rng = np.random.default_rng(2)
    r = rng.normal(0.001, 0.01, 500)
    srs = [0.01, 0.05, -0.02, 0.03, 0.0]
    d = deflated_sharpe(list(r), srs)
    sr = r.mean() / r.std(ddof=1)
    v = np.var(srs, ddof=1)
    g = 0.5772156649015329
    from statistics import NormalDist

    z = NormalDist()
    sr0 = math.sqrt(v) * ((1 - g) * z.inv_cdf(1 - 1 / 5) + g * z.inv_cdf(1 - 1 / (5 * math.e)))
    dev = r - r.mean()
    skew = (dev**3).mean() / (dev**2).mean() ** 1.5
    kurt = (dev**4).mean() / (dev**2).mean() ** 2
    want = z.cdf((sr - sr0) * math.sqrt(499) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
    assert d.benchmark == pytest.approx(sr0)
    assert d.dsr == pytest.approx(want)


def test_sharpe_drawdown_and_returns() -> None:
    assert daily_returns([110.0, 99.0], 100.0) == pytest.approx([0.1, -0.1])
    assert max_drawdown_pct([110.0, 99.0, 120.0], 100.0) == pytest.approx(10.0)
    assert sharpe([0.01, 0.01]) == 0.0
    assert sharpe([0.01, -0.01, 0.02]) == pytest.approx(
        np.mean([0.01, -0.01, 0.02]) / np.std([0.01, -0.01, 0.02], ddof=1) * math.sqrt(252)
    )
    assert Objective("pnl", 5.0).score(10.0, [], 6.0) == -math.inf
    with pytest.raises(UserError, match="--objective=cagr: choose one of pnl, sharpe"):
        Objective("cagr")


def test_folds_are_consecutive_and_never_overlap_their_train_window() -> None:
    fs = folds(100, 60, 20)
    assert [(f.train, f.test) for f in fs] == [((0, 60), (60, 80)), ((20, 80), (80, 100))]
    fs = folds(45, 20, 10)
    assert fs[-1].test == (40, 45)  # the last test window may be shorter
    for a, b in itertools.pairwise(fs):
        assert a.test[1] == b.test[0]
    for f in fs:
        assert f.train[1] == f.test[0]
        assert f.train[1] - f.train[0] == 20
    with pytest.raises(UserError, match="has 20 sessions, fewer than train"):
        folds(20, 20, 5)
    assert parse_spec("train=60,test=20") == (60, 20)
    with pytest.raises(UserError, match="expected train=N,test=M"):
        parse_spec("60/20")


def _result(tid: str, equity: list[float]) -> TrialResult:
    return TrialResult(
        tid,
        {"k": tid},
        "",
        "",
        [f"d{i}" for i in range(len(equity))],
        [str(e) for e in equity],
        100.0,
    )


def test_walk_forward_picks_on_train_and_scores_on_test() -> None:
    # a wins the first four sessions then loses; b the reverse
    a = _result("a", [101, 102, 103, 104, 100, 96, 95, 94])
    b = _result("b", [99, 98, 97, 96, 100, 104, 105, 106])
    wf = walk_forward([a, b], Objective("pnl"), train=4, test=2)
    assert [f.trial_id for f in wf.folds] == ["a", "b"]
    assert wf.folds[0].test == ["d4", "d5"]
    assert wf.sessions == ["d4", "d5", "d6", "d7"]
    assert wf.folds[0].test_return_pct < 0  # a, chosen on its good days, then lost
    assert len(wf.oos_equity) == 4
