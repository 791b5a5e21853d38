"""Objectives and the statistics that keep a lucky trial from passing for an edge.

Daily returns are the session-close equity's relative change (the replay books realized
P/L only, and every position is flat by the close). Sharpe is annualized with sqrt(252).

The deflated Sharpe ratio (Bailey, D. H. and López de Prado, M., "The Deflated Sharpe
Ratio: Correcting for Selection Bias, Backtest Overfitting and Non-Normality", Journal of
Portfolio Management 40(5), 2014, pp. 94-107) is implemented from the paper's formulas:

    SR0 = sqrt(V[SR_n]) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))
    DSR = Z( (SR* - SR0) * sqrt(T - 1) / sqrt(1 - skew * SR* + (kurt - 1) / 4 * SR*^2) )

with SR per period (not annualized), N trials, V[SR_n] the variance of the trials'
Sharpe ratios, g the Euler-Mascheroni constant, T the number of returns, skew and kurt
(non-excess) of the selected trial's returns, Z the standard normal CDF. DSR is the
probability that the selected Sharpe ratio beats the best one expected from N skill-less
trials; more trials (at the same dispersion) raise SR0 and lower the DSR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from llm_advisor.core.errors import UserError

PERIODS_PER_YEAR = 252
EULER_GAMMA = 0.5772156649015329
OBJECTIVES = ("pnl", "sharpe")
_Z = NormalDist()


def daily_returns(equity: Sequence[float], start_equity: float) -> list[float]:
    """Session-over-session returns of the close equity, the first against the start."""
    out: list[float] = []
    prev = start_equity
    for e in equity:
        out.append((e - prev) / prev if prev else 0.0)
        prev = e
    return out


def sharpe(returns: Sequence[float], annualize: bool = True) -> float:
    """Mean over standard deviation (ddof=1) of the returns; 0 when flat or too short."""
    r = np.asarray(returns, dtype=np.float64)
    if r.size < 2:
        return 0.0
    sd = float(r.std(ddof=1))
    if sd == 0.0 or not math.isfinite(sd):
        return 0.0
    sr = float(r.mean()) / sd
    return sr * math.sqrt(PERIODS_PER_YEAR) if annualize else sr


def max_drawdown_pct(equity: Sequence[float], start_equity: float) -> float:
    """Largest peak-to-trough fall of the session-close equity, percent of the peak."""
    peak = start_equity
    worst = 0.0
    for e in equity:
        peak = max(peak, e)
        if peak > 0:
            worst = max(worst, (peak - e) / peak * 100)
    return worst


@dataclass(frozen=True)
class Objective:
    """What "best" means: ``pnl`` (P/L after the configured costs) or ``sharpe`` of daily
    returns; trials whose drawdown exceeds ``max_drawdown_pct`` are not eligible."""

    name: str = "sharpe"
    max_drawdown_pct: float | None = None

    def __post_init__(self) -> None:
        if self.name not in OBJECTIVES:
            raise UserError(f"--objective={self.name}: choose one of {', '.join(OBJECTIVES)}")
        if self.max_drawdown_pct is not None and not self.max_drawdown_pct > 0:
            raise UserError(f"--max-drawdown={self.max_drawdown_pct}: must be > 0 (percent)")

    def score(self, pnl: float, returns: Sequence[float], drawdown_pct: float) -> float:
        """The value to maximize; ``-inf`` for a trial over the drawdown cap."""
        if self.max_drawdown_pct is not None and drawdown_pct > self.max_drawdown_pct:
            return -math.inf
        return pnl if self.name == "pnl" else sharpe(returns)


def _moments(returns: Sequence[float]) -> tuple[float, float]:
    """Skewness and (non-excess) kurtosis; (0, 3) for a sample too small or flat."""
    r = np.asarray(returns, dtype=np.float64)
    if r.size < 3:
        return 0.0, 3.0
    d = r - r.mean()
    m2 = float((d**2).mean())
    if m2 == 0.0:
        return 0.0, 3.0
    return float((d**3).mean()) / m2**1.5, float((d**4).mean()) / m2**2


def expected_max_sharpe(sharpe_variance: float, n_trials: int) -> float:
    """SR0: the largest per-period Sharpe ratio expected among ``n_trials`` skill-less
    trials whose Sharpe ratios vary with ``sharpe_variance`` (the DSR's benchmark)."""
    if n_trials < 2 or sharpe_variance <= 0:
        return 0.0
    a = _Z.inv_cdf(1 - 1 / n_trials)
    b = _Z.inv_cdf(1 - 1 / (n_trials * math.e))
    return math.sqrt(sharpe_variance) * ((1 - EULER_GAMMA) * a + EULER_GAMMA * b)


@dataclass(frozen=True)
class Deflated:
    sharpe: float  # the selected trial's per-period Sharpe ratio
    benchmark: float  # SR0
    dsr: float  # probability that the selection beats skill-less luck
    n_trials: int
    n_returns: int


def deflated_sharpe(
    selected: Sequence[float], trial_sharpes: Sequence[float], n_trials: int | None = None
) -> Deflated:
    """DSR of the ``selected`` trial's returns given the per-period Sharpe ratios of all
    trials (``n_trials`` defaults to their count)."""
    n = n_trials if n_trials is not None else len(trial_sharpes)
    t = len(selected)
    sr = sharpe(selected, annualize=False)
    var = float(np.var(np.asarray(trial_sharpes, dtype=np.float64), ddof=1)) if n > 1 else 0.0
    sr0 = expected_max_sharpe(var, n)
    skew, kurt = _moments(selected)
    denom = 1 - skew * sr + (kurt - 1) / 4 * sr**2
    if t < 2 or denom <= 0:
        return Deflated(sr, sr0, float("nan"), n, t)
    z = (sr - sr0) * math.sqrt(t - 1) / math.sqrt(denom)
    return Deflated(sr, sr0, _Z.cdf(z), n, t)
