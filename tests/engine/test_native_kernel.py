"""The native kernel (``engine/native.py``) against the NumPy path: bit-identical outputs.

The kernel replaces the arithmetic of the rolling push, the z-score and the state machine's
table lookup; everything the engine emits, every per-minute feature and its whole saved
state must come out the same either way, through advices, resyncs, missing bars, the kill
switch, a cut-and-resume, and through the replay driver that uses it by default.
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_advisor.core.config import StrategyConfig
from llm_advisor.data.synthetic import SyntheticMarket
from llm_advisor.engine import Engine, native, session_for_config
from llm_advisor.engine.grid import MinuteBars
from llm_advisor.engine.machine import DONE, IDLE
from llm_advisor.engine.records import StepResult
from llm_advisor.replay.runner import run_replay
from tests.engine.support import CUT, SYMBOLS, day_inputs, outcome

pytestmark = pytest.mark.skipif(
    not native.AVAILABLE and not os.environ.get("CI"),
    reason=f"the engine's native kernel is not built here: {native.WHY_NOT}",
)


def test_the_kernel_is_built_where_make_install_ran() -> None:
    assert native.AVAILABLE, native.WHY_NOT  # CI runs `make test`, which builds it


_COLUMNS = ("open", "high", "low", "close", "volume")


def _features(r: StepResult) -> list[Any]:
    return [[np.asarray(x).tobytes() if hasattr(x, "dtype") else x for x in m] for m in r.minutes]


def _run_day(
    cfg: StrategyConfig, native_on: bool, cut: int | None = None, premarket: bool = True
) -> list[Any]:
    """One synthetic day; with ``cut``, the engine is saved there and resumed from JSON.
    Without ``premarket`` no symbol has a snapshot and a sixth of the bars are missing:
    ATRs warm up from the day's buckets, some of which complete late (no bar at a
    bucket's last minute), and windows get resynced out of step."""
    sess, snaps, seeds, minutes, advices = day_inputs(cfg)
    if not premarket:  # and one bar in six missing
        gone = np.random.default_rng(7).random((len(minutes), len(SYMBOLS))) < 1 / 6
        minutes = [
            (t, MinuteBars(*(np.where(gone[i], np.nan, getattr(bars, c)) for c in _COLUMNS)))
            for i, (t, bars) in enumerate(minutes)
        ]
    eng = Engine(cfg, SYMBOLS, native=native_on)
    eng.begin_session(sess, snaps if premarket else {}, seeds)
    results, states, feats = [], [], []
    pending = list(advices)
    for i, (t, bars) in enumerate(minutes):
        if cut is not None and i == cut:
            eng = Engine.from_state(json.loads(json.dumps(eng.to_state())))
            assert eng.native is native.AVAILABLE  # a resumed engine picks the kernel again
        while pending and pending[0].as_of <= t:
            eng.add_advice(pending.pop(0))
        r = eng.step(t, bars, log_minutes=i % 3 == 0)
        results.append(r)
        feats.append(_features(r))
        if i % 10 == 0:
            states.append(json.dumps(eng.to_state(), sort_keys=True))
    results.append(eng.end_session())
    states.append(json.dumps(eng.to_state(), sort_keys=True))
    return [outcome(results), feats, states]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"daily_loss_limit_pct": 0.02, "max_risk_per_trade": 0.02},
        {"risk_budget_check": True, "max_open_positions": 2},
    ],
    ids=["defaults", "kill-switch", "risk-budget"],
)
def test_a_day_is_bit_identical_with_and_without_the_kernel(overrides: dict[str, Any]) -> None:
    cfg = StrategyConfig(**overrides)
    with_kernel = _run_day(cfg, True)
    assert with_kernel == _run_day(cfg, False)
    assert with_kernel[0]["transitions"], "the day must exercise the state machine"
    if "daily_loss_limit_pct" in overrides:
        assert "kill_switch" in json.dumps(with_kernel[0]), "the kill switch must fire"


@pytest.mark.parametrize("period", [14, 2])  # 2: warm-ups often end at a late bucket
def test_atr_warm_up_without_premarket_is_bit_identical(period: int) -> None:
    cfg = StrategyConfig(atr_period=period)
    with_kernel = _run_day(cfg, True, premarket=False)
    assert with_kernel == _run_day(cfg, False, premarket=False)
    assert with_kernel[0]["signals"], "ATRs must warm up enough to size signals"


def test_cut_and_resume_with_the_kernel_equals_an_uncut_numpy_day() -> None:
    cfg = StrategyConfig()
    resumed = _run_day(cfg, True, cut=CUT)
    uncut = _run_day(cfg, False)
    assert resumed[0] == uncut[0] and resumed[1] == uncut[1]


def test_replay_uses_the_kernel_and_gets_the_numpy_result(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = StrategyConfig()
    start = date(2026, 3, 2)
    bars = SyntheticMarket(3).minute_bars([f"S{i:02d}" for i in range(12)], start, 14)
    days = SyntheticMarket.session_days(start, 14)
    used: list[bool] = []
    real_init = Engine.__init__

    def spy(self: Engine, *a: Any, **k: Any) -> None:
        real_init(self, *a, **k)
        used.append(self.native)

    monkeypatch.setattr(Engine, "__init__", spy)
    fast = run_replay(cfg, bars, days[10], days[-1], show_progress=False)
    monkeypatch.setattr(native, "AVAILABLE", False)
    slow = run_replay(cfg, bars, days[10], days[-1], show_progress=False)
    assert used == [True, False]
    for part in ("transitions", "signals", "trades", "fills"):
        assert getattr(fast, part) == getattr(slow, part), part
    assert fast.transitions


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    in_window=st.booleans(),
    kill=st.booleans(),
    due=st.booleans(),
)
def test_one_minute_from_any_state_matches(
    seed: int, in_window: bool, kill: bool, due: bool
) -> None:
    """Random states, sides, ages, trade counts, pending closes, biases and closes (some
    missing, some equal to the mean, flat windows): one minute through both paths."""
    rng = np.random.default_rng(seed)
    n = 40
    cfg = StrategyConfig()
    day = date(2026, 3, 3)
    sess = session_for_config(day, cfg)
    syms = [f"S{i:02d}" for i in range(n)]
    eng = Engine(cfg, syms)
    w = cfg.rolling_window
    seeds = {
        s: np.full(w, 50.0) if i % 9 == 0 else rng.normal(50, 2, w) for i, s in enumerate(syms)
    }
    eng.begin_session(sess, {}, seeds)
    a = eng.arrays
    a.state[:] = rng.integers(IDLE, DONE + 1, n)
    a.side[:] = rng.choice([-1, 0, 1], n)
    a.bar_idx[:] = rng.integers(0, 60, n)
    a.since[:] = a.bar_idx - rng.integers(0, 40, n)
    a.trades_today[:] = rng.integers(0, 4, n)
    a.close_pending[:] = rng.random(n) < 0.2
    a.htf[:] = rng.choice([-1, 0, 1], n)
    a.atr_pct[:] = rng.uniform(0, 100, n)
    eng.rolling.since_resync[:] = rng.integers(0, w, n)
    eng.rolling._refresh()
    if due:
        eng.rolling._until_due = 1  # this push makes rows due: push, resync, then decide
    a.atr_pct[::5] = cfg.atr_percentile_cap  # ATR_OK's edge
    minute = sess.window_start if in_window else sess.open
    close = rng.normal(50, 3, n)
    close[rng.random(n) < 0.15] = np.nan
    close[::7] = eng.rolling.mean[::7]  # z == 0 exactly (or -0.0)
    bars = MinuteBars(close - 0.1, close + 0.2, close - 0.3, close, np.full(n, 100.0))
    engines = [Engine.from_state(eng.to_state()) for _ in range(3)]
    for e in engines:
        e.kill = kill
        e.last_minute = minute - timedelta(minutes=1)
        e.thresholds.effective(minute + timedelta(minutes=1))
    dry, fast, slow = engines
    fast.native, slow.native = True, False
    # every threshold comparison at its edge: pin some thresholds to exactly what they are
    # compared with this minute (z from a dry run of the same minute)
    m = dry.step(minute, bars, log_minutes=True).minutes
    z = np.full(n, np.nan)
    if m:
        z[m[0].idx] = m[0].z
    operands = (a.side * z, a.side * z, a.side * z, a.side * z, a.htf * z, np.abs(z))
    which = rng.integers(0, len(operands), n)
    pinned = np.flatnonzero(~np.isnan(z) & (rng.random(n) < 0.5)).tolist()
    for e in (fast, slow):
        for i in pinned:
            r = int(which[i])
            e.thresholds.cmp[r if r < 5 else 0, i] = operands[r][i]
    got, want = fast.step(minute, bars, log_minutes=True), slow.step(minute, bars, log_minutes=True)
    assert outcome([got]) == outcome([want])
    assert _features(got) == _features(want)
    assert json.dumps(fast.to_state(), sort_keys=True) == json.dumps(
        slow.to_state(), sort_keys=True
    )


def test_a_warm_up_ending_at_a_late_bucket_then_a_wilder_step_in_the_same_minute() -> None:
    """BBB: bucket 0 complete (its 1st true range), bucket 1 without its last bar, then no
    bar until minute 14, which completes bucket 1 late (the 2nd true range: with
    ``atr_period=2`` the warm-up ends, the ATR exists) and its own bucket 2 at once (a
    Wilder step on the ATR just made). The kernel hands both back in that order."""
    cfg = StrategyConfig(atr_period=2)
    sess = session_for_config(date(2026, 3, 3), cfg)
    present = {0, 1, 2, 3, 4, 5, 6, 7, 8, 14, 15}
    engines = [Engine(cfg, ["AAA", "BBB"], native=on) for on in (True, False)]
    for e in engines:
        e.begin_session(sess, {}, {})
    rng = np.random.default_rng(3)
    for i in range(16):
        close = rng.normal(50, 1, 2)
        if i not in present:
            close[1] = np.nan
        bars = MinuteBars(close - 0.1, close + 0.5, close - 0.4, close, np.full(2, 10.0))
        for e in engines:
            e.step(sess.open + timedelta(minutes=i), bars)
        if i == 13:
            assert np.isnan(engines[0].arrays.atr5[1])
    fast, slow = (json.dumps(e.to_state(), sort_keys=True) for e in engines)
    assert fast == slow
    assert not np.isnan(engines[0].arrays.atr5[1]) and not engines[0].atr5_warm[1]
