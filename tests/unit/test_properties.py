"""Invariants of the engine over generated markets (hypothesis)."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_advisor.core.config import StrategyConfig
from llm_advisor.data.synthetic import SyntheticMarket
from llm_advisor.features.snapshot import build_snapshots
from llm_advisor.live.bars import MinuteBars
from llm_advisor.live.engine import Engine, StepResult, session_for_config
from llm_advisor.replay.runner import Series, run_replay, session_grid

SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
DAY = date(2026, 3, 3)
PROPS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=16)
def _market(seed: int) -> dict[str, pd.DataFrame]:
    return SyntheticMarket(seed).minute_bars(list(SYMBOLS), date(2026, 2, 2), 25)


def _config(risk: float, limit: float, max_pos: int, budget: bool) -> StrategyConfig:
    # a limit below one trade's risk is refused at start: the tightest limit is that risk
    return StrategyConfig(
        max_risk_per_trade=risk,
        daily_loss_limit_pct=max(limit, risk),
        max_open_positions=max_pos,
        risk_budget_check=budget,
    )


configs = st.builds(
    _config,
    st.sampled_from([0.25, 1.0, 3.0]),
    st.sampled_from([0.2, 2.0]),
    st.integers(1, 4),
    st.booleans(),
)


def _run_day(
    cfg: StrategyConfig, bars: dict[str, pd.DataFrame], cut: int | None = None
) -> list[StepResult]:
    """Step one session by hand; with ``cut``, serialize to JSON after that bar and resume."""
    syms = sorted(bars)
    eng = Engine(cfg, syms)
    sess = session_for_config(DAY, cfg)
    snaps = {s: build_snapshots(s, bars[s], [DAY], cfg)[DAY] for s in syms}
    grid, seeds, _ = session_grid({s: Series.of(bars[s]) for s in syms}, syms, sess, 120)
    eng.begin_session(sess, snaps, seeds)
    out = []
    for i in range(sess.minutes):
        mb = MinuteBars(grid[0, i], grid[1, i], grid[2, i], grid[3, i], grid[4, i])
        out.append(eng.step(sess.open + timedelta(minutes=i), mb))
        if cut is not None and i == cut:
            eng = Engine.from_state(json.loads(json.dumps(eng.to_state())))
    out.append(eng.end_session())
    assert not eng.positions
    return out


def _flat(results: list[StepResult]) -> dict[str, list[Any]]:
    return {
        "transitions": [t for r in results for t in r.transitions],
        "signals": [s for r in results for s in r.signals],
        "trades": [t for r in results for t in r.trades],
        "fills": [f for r in results for f in r.fills],
        "plans": [p for r in results for p in r.plans],
    }


@PROPS
@given(seed=st.integers(0, 10_000), cfg=configs)
def test_no_position_survives_the_session(seed: int, cfg: StrategyConfig) -> None:
    bars = _market(seed % 16)
    res = run_replay(cfg, bars, date(2026, 3, 2), date(2026, 3, 6))
    entries = {f.client_order_id for f in res.fills if f.leg == "entry"}
    closed = {t.client_order_id for t in res.trades}
    assert entries == closed
    for t in res.trades:
        assert t.entry_time.date() == t.exit_time.date()
        assert t.exit_reason.value in {"stop", "target", "eod", "kill_switch"}


@PROPS
@given(seed=st.integers(0, 10_000), cfg=configs)
def test_a_stop_never_moves_and_quantity_never_exceeds_the_caps(
    seed: int, cfg: StrategyConfig
) -> None:
    bars = _market(seed % 16)
    res = run_replay(cfg, bars, date(2026, 3, 2), date(2026, 3, 6))
    plans = {p.client_order_id: p for p in res.plans}
    for s in res.signals:
        if s.status != "accepted":
            continue
        eq = float(s.equity)
        assert s.qty <= math.floor(eq * cfg.max_position_pct / 100 / s.ref_price + 1e-9)
        assert s.qty * s.risk_per_share <= eq * cfg.max_risk_per_trade / 100 + 1e-6
        assert s.qty * s.ref_price <= cfg.buying_power_multiplier * eq + 1e-6
    for t in res.trades:
        p = plans[t.client_order_id]
        px = float(t.exit_price)
        if t.exit_reason.value == "stop":
            # at the planned stop, or worse only when the bar gapped through it
            assert px == p.stop_price or (
                px < p.stop_price if p.side.value == "long" else px > p.stop_price
            )
        if t.exit_reason.value == "target":
            assert px == p.target_price or (
                px > p.target_price if p.side.value == "long" else px < p.target_price
            )


@PROPS
@given(seed=st.integers(0, 10_000), cut=st.integers(0, 389), factor=st.floats(0.9, 1.1))
def test_decisions_at_t_do_not_change_when_bars_after_t_are_altered(
    seed: int, cut: int, factor: float
) -> None:
    cfg = StrategyConfig()
    bars = _market(seed % 16)
    t_cut = session_for_config(DAY, cfg).open + timedelta(minutes=cut)
    altered = {}
    for s, df in bars.items():
        df2 = df.copy()
        later = df2.index > t_cut
        df2.loc[later, ["open", "high", "low", "close"]] *= factor
        altered[s] = df2
    a = _flat(_run_day(cfg, bars))
    b = _flat(_run_day(cfg, altered))
    for key in ("transitions", "signals", "plans"):
        before_a = [x for x in a[key] if _time_of(x) <= t_cut]
        before_b = [x for x in b[key] if _time_of(x) <= t_cut]
        assert before_a == before_b, key


def _time_of(x: Any) -> Any:
    return getattr(x, "timestamp", None) or x.signal_time


@PROPS
@given(seed=st.integers(0, 10_000), cut=st.integers(0, 389), cfg=configs)
def test_serialize_and_resume_at_any_bar_changes_nothing(
    seed: int, cut: int, cfg: StrategyConfig
) -> None:
    bars = _market(seed % 16)
    assert _flat(_run_day(cfg, bars)) == _flat(_run_day(cfg, bars, cut=cut))


def test_one_symbol_alone_decides_exactly_as_among_many() -> None:
    """The live tick runs the engine per account with few symbols; replay with many."""
    cfg = StrategyConfig(max_open_positions=1000, daily_loss_limit_pct=100.0)
    bars = _market(3)
    many = run_replay(cfg, bars, date(2026, 3, 2), date(2026, 3, 4))
    alone = run_replay(cfg, {"BBB": bars["BBB"]}, date(2026, 3, 2), date(2026, 3, 4))
    tr_many = [t for t in many.transitions if t.symbol == "BBB"]
    assert tr_many == alone.transitions
    sig_many = [(s.signal_time, s.setup, s.side, s.z) for s in many.signals if s.symbol == "BBB"]
    assert sig_many == [(s.signal_time, s.setup, s.side, s.z) for s in alone.signals]
    assert np.isfinite([s.z for s in alone.signals]).all()
