"""Differential test: the vectorized engine against an independent scalar implementation of
spec/strategy.md (tests/reference, written without reading the engine) on real bars.

Trades must be identical row for row; signals identical except z (O(1) incremental
statistics vs an exact recomputation: the spec allows ~1e-11) and number formatting.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.data.barfiles import BarDirectory
from llm_advisor.replay.outputs import SIGNAL_COLUMNS, TRADE_COLUMNS, signal_rows, trade_rows
from llm_advisor.replay.runner import run_replay
from tests.reference.stdev_reference import reference_replay


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return abs(x - y) <= 1e-9 * max(1.0, abs(x))


def _diff(mine: list[dict[str, str]], ref: list[dict[str, Any]], cols: list[str]) -> list[str]:
    out = [f"row counts {len(mine)} != {len(ref)}"] if len(mine) != len(ref) else []
    for i, (m, r) in enumerate(zip(mine, ref, strict=False)):
        bad = {c: (m[c], r[c]) for c in cols if not _same(str(m[c]), str(r[c]))}
        if bad:
            out.append(f"row {i} {m['symbol']} {m['signal_time']}: {bad}")
    return out


def _compare(
    bars_dir: Path,
    symbols: list[str] | None,
    start: date,
    end: date,
    cfg: StrategyConfig,
    daily_dir: Path | None = None,
) -> tuple[int, int]:
    d = BarDirectory(bars_dir)
    bars = {s: d.load(s) for s in (symbols or d.symbols())}
    daily = None
    if daily_dir is not None:
        dd = BarDirectory(daily_dir)
        daily = {s: dd.load(s) for s in bars if s in dd}
    ref_trades, ref_signals = reference_replay(cfg, bars, start, end, daily=daily)
    res = run_replay(cfg, bars, start, end, daily=daily)
    mine_t = [dict(zip(TRADE_COLUMNS, r, strict=True)) for r in trade_rows(res.trades)]
    mine_s = [dict(zip(SIGNAL_COLUMNS, r, strict=True)) for r in signal_rows(res.signals)]
    problems = _diff(mine_t, ref_trades, TRADE_COLUMNS) + _diff(mine_s, ref_signals, SIGNAL_COLUMNS)
    assert not problems, "\n".join(problems[:10])
    return len(mine_t), len(mine_s)


@pytest.mark.slow
def test_default_config_matches_reference_on_real_minute_bars(shared_data: Path) -> None:
    n_trades, _ = _compare(
        shared_data / "bars_1m",
        ["AFRM", "COIN", "META", "NVDA", "QQQ", "SPY", "TECL"],
        date(2026, 2, 2),
        date(2026, 2, 27),
        StrategyConfig(),
    )
    assert n_trades > 50  # a comparison of nothing would prove nothing


@pytest.mark.slow
def test_risk_guards_match_reference_under_tight_limits(shared_data: Path) -> None:
    cfg = StrategyConfig().with_overrides(
        {
            "daily_loss_limit_pct": "0.3",
            "max_risk_per_trade": "0.3",  # a limit below one trade's risk is refused
            "max_open_positions": "2",
            "commission_per_share": "0.005",
            "max_trades_per_symbol": "5",
            "cooldown_bars": "2",
        }
    )
    n_trades, n_signals = _compare(
        shared_data / "bars_1m",
        ["AVGO", "COIN", "IONQ", "MELI", "NFLX", "SMH", "SOXL", "SPY"],
        date(2026, 2, 2),
        date(2026, 2, 13),
        cfg,
        daily_dir=shared_data / "daily",
    )
    assert n_signals > n_trades  # rejections (max_positions / kill_switch) were exercised


@pytest.mark.slow
def test_extended_hours_seeding_matches_reference(shared_data: Path) -> None:
    n_trades, _ = _compare(
        shared_data / "bars_1m_polygon",
        ["SPY"],
        date(2025, 1, 2),
        date(2025, 1, 17),
        StrategyConfig(),
    )
    assert n_trades > 5
