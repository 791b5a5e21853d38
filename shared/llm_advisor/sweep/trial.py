"""One trial: settings + data location -> result. The only work any executor runs.

``run_trial`` builds the config exactly like ``replay --set`` (base settings, then the
trial's), calls the replay's public ``run_replay`` and keeps what the reduction needs: the
closed trades (exact decimals, as JSON), the session-close equity and the summary figures.
A trial is deterministic, so re-running it (a Lambda retry, an at-least-once redelivery)
writes the same result.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import ConfigError, UserError
from llm_advisor.sweep.data import DataSpec, load_bars
from llm_advisor.sweep.metrics import daily_returns, sharpe
from llm_advisor.sweep.space import Trial


@dataclass
class TrialResult:
    trial_id: str
    settings: dict[str, str]
    run_id: str
    config_hash: str
    sessions: list[str]
    equity: list[str]  # session-close equity, exact decimal text
    start_equity: float
    trades: list[dict[str, Any]] = field(default_factory=list)
    n_trades: int = 0
    wins: int = 0
    win_rate: float | None = None
    pnl: str = "0"
    max_drawdown: str = "0"
    max_drawdown_pct: float = 0.0
    sharpe: float = 0.0
    symbol_bars: int = 0
    seconds: float = 0.0

    def returns(self) -> list[float]:
        return daily_returns([float(e) for e in self.equity], self.start_equity)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TrialResult:
        return cls(**dict(d))

    def comparable(self) -> dict[str, Any]:
        """Everything but the wall time: equal for equal inputs, whoever ran the trial."""
        out = self.to_json()
        out.pop("seconds")
        return out


def trial_config(trial: Trial, data: DataSpec) -> StrategyConfig:
    try:
        return StrategyConfig().with_overrides({**data.base, **trial.settings})
    except ConfigError as exc:
        raise UserError(f"trial {trial.trial_id}: {exc}") from None


def run_trial(
    trial: Trial, data: DataSpec, bars: Mapping[str, pd.DataFrame] | None = None
) -> TrialResult:
    """Replay ``data`` with ``trial``'s settings (bars loaded from ``data.bars`` unless
    given) and reduce the replay to a ``TrialResult``."""
    from llm_advisor.replay.runner import run_replay

    t0 = time.perf_counter()
    config = trial_config(trial, data)
    frames = bars if bars is not None else load_bars(data)
    r = run_replay(config, frames, data.start, data.end, show_progress=False)
    s = r.summary
    start_equity = float(s["start_equity"])
    equity = [str(e) for _, e in r.equity_curve]
    eq = [float(e) for e in equity]
    return TrialResult(
        trial_id=trial.trial_id,
        settings=dict(trial.settings),
        run_id=r.run_id,
        config_hash=config.config_hash(),
        sessions=[d.isoformat() for d in r.sessions],
        equity=equity,
        start_equity=start_equity,
        trades=[t.model_dump(mode="json") for t in r.trades],
        n_trades=int(s["trades"]),
        wins=int(s["wins"]),
        win_rate=s["win_rate"],
        pnl=str(s["pnl"]),
        max_drawdown=str(s["max_drawdown"]),
        max_drawdown_pct=float(s["max_drawdown_pct"]),
        sharpe=sharpe(daily_returns(eq, start_equity)),
        symbol_bars=r.symbol_bars,
        seconds=round(time.perf_counter() - t0, 3),
    )
