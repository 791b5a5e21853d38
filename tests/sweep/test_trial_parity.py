"""Every trial's trades are exactly those of a plain replay with the same settings."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.replay.inputs import from_directory
from llm_advisor.replay.runner import run_replay
from llm_advisor.sweep.data import DataSpec
from llm_advisor.sweep.executors import run_pool, run_sequential
from llm_advisor.sweep.space import grid_trials, parse_grid
from llm_advisor.sweep.trial import run_trial


def _plain_replay_trades(spec: DataSpec, settings: dict[str, str]) -> list[dict[str, object]]:
    inp = from_directory(Path(spec.bars), list(spec.symbols) or None, spec.start, spec.end)
    cfg = StrategyConfig().with_overrides({**spec.base, **settings})
    r = run_replay(cfg, inp.bars, inp.start, inp.end, show_progress=False)
    return [t.model_dump(mode="json") for t in r.trades]


def test_synthetic_trials_equal_plain_replays(store: DataSpec) -> None:
    spec = DataSpec(store.bars, store.start, store.end, base={"slippage_bps": "2"})
    trials, _ = grid_trials(parse_grid(["mr_arm_z=1.0,1.6", "cooldown_bars=2,8"]), StrategyConfig())
    results = run_sequential(trials, spec)
    assert len({len(r.trades) for r in results}) > 1  # the settings change the trading
    for t, r in zip(trials, results, strict=True):
        assert r.trades == _plain_replay_trades(spec, t.settings), t.settings
        assert r.n_trades == len(r.trades)
        assert len(r.equity) == len(r.sessions) == 6


def test_local_pool_equals_sequential(store: DataSpec) -> None:
    trials, _ = grid_trials(
        parse_grid(["mr_arm_z=1.0,1.6", "atr_multiplier_sl=1.0,2.0"]), StrategyConfig()
    )
    seq = run_sequential(trials, store)
    pool = run_pool(trials, store, workers=2)
    assert [r.comparable() for r in pool] == [r.comparable() for r in seq]


@pytest.mark.shared_data
def test_real_data_random_trials_equal_plain_replays(shared_data: Path) -> None:
    """Two trials drawn at random from a small grid on ../shared/data/bars_1m."""
    spec = DataSpec(
        str(shared_data / "bars_1m"),
        date(2026, 2, 2),
        date(2026, 2, 13),
        ("SPY", "QQQ", "NVDA", "META", "COIN", "TECL"),
    )
    grid = parse_grid(["mr_arm_z=1.0,1.2,1.4", "cooldown_bars=3,5", "atr_multiplier_sl=1.0,1.4"])
    trials, _ = grid_trials(grid, StrategyConfig())
    picked = random.Random().sample(trials, 2)  # a different pair every run
    for t in picked:
        r = run_trial(t, spec)
        assert r.trades == _plain_replay_trades(spec, t.settings), t.settings
        assert r.n_trades > 0
