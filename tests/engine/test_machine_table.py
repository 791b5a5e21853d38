"""The state machine's lookup table against a plain per-symbol reading of the spec.

``engine/machine.py`` evaluates its rules once for every key (state + facts) and a step
looks outcomes up. Here the same rules are written the way the spec reads them, one symbol
at a time with if/elif, and compared with the table for every key; then ``Machine.decide``
on random symbols is compared with that reading fed from the raw numbers (z, ages, sides,
thresholds), which checks how the facts are computed, NaN z included.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_advisor.core.config import StrategyConfig
from llm_advisor.engine import machine as m
from llm_advisor.engine.arrays import SymbolArrays
from llm_advisor.engine.states import Reason, StateCode
from llm_advisor.engine.thresholds import Thresholds

S = StateCode


def spec_step(state: int, f: dict[str, bool]) -> tuple[int, int, bool, int, int]:
    """(new state, reason, new age?, new side or 0, signal) of one symbol, the spec's
    rules in its order."""
    if f["no_bar"]:
        return state, Reason.NONE, False, 0, m.NO_SIGNAL
    z_side = 1 if f["z_up"] else -1
    allowed = f["atr_ok"] and not f["maxed"] and not f["outside"]
    armed = state in (S.MR_ARMED, S.TC_ARMED, S.TC_PULLBACK)
    if state == S.IN_POSITION and f["closed"]:
        return S.COOLDOWN, Reason.CLOSED, True, 0, 0
    if state == S.COOLDOWN and f["cooled"]:
        return (S.DONE if f["maxed"] else S.IDLE), Reason.COOLDOWN_END, False, 0, 0
    if armed and f["outside"]:
        return S.IDLE, Reason.WINDOW, False, 0, 0
    if state in (S.IDLE, S.MR_ARMED) and allowed and f["tc_arm"]:
        return S.TC_ARMED, Reason.ARM_TC, True, z_side, 0
    if state == S.MR_ARMED:
        if f["timed_out"]:
            return S.IDLE, Reason.TIMEOUT, False, 0, 0
        if f["abort"]:
            return S.IDLE, Reason.ABORT, False, 0, 0
        if f["overshoot"]:
            return S.IDLE, Reason.OVERSHOOT, False, 0, 0
        return state, Reason.NONE, False, 0, m.SIGNAL_MR if f["mr_trigger"] else 0
    if state == S.TC_ARMED:
        if f["timed_out"]:
            return S.IDLE, Reason.TIMEOUT, False, 0, 0
        if f["pullback"]:
            return S.TC_PULLBACK, Reason.PULLBACK, True, 0, 0
        return state, Reason.NONE, False, 0, 0
    if state == S.TC_PULLBACK:
        if f["timed_out"]:
            return S.IDLE, Reason.TIMEOUT, False, 0, 0
        if f["broken"]:
            return S.IDLE, Reason.BROKEN, False, 0, 0
        return state, Reason.NONE, False, 0, m.SIGNAL_TC if f["tc_trigger"] else 0
    if state == S.IDLE and allowed and f["mr_arm"] and not f["abort"]:
        return S.MR_ARMED, Reason.ARM_MR, True, -z_side, 0
    return state, Reason.NONE, False, 0, 0


BITS = {
    "closed": m.CLOSED,
    "cooled": m.COOLED,
    "maxed": m.MAXED,
    "timed_out": m.TIMED_OUT,
    "abort": m.ABORT,
    "overshoot": m.OVERSHOOT,
    "mr_trigger": m.MR_TRIGGER,
    "pullback": m.PULLBACK,
    "broken": m.BROKEN,
    "tc_trigger": m.TC_TRIGGER,
    "tc_arm": m.TC_ARM,
    "mr_arm": m.MR_ARM,
    "atr_ok": m.ATR_OK,
    "z_up": m.Z_UP,
    "no_bar": m.NO_BAR,
    "outside": m.OUTSIDE,
}


def test_table_equals_the_spec_for_every_key() -> None:
    for key in range(m.N_KEYS):
        state = key >> m.STATE_SHIFT
        f = {name: bool((key >> bit) & 1) for name, bit in BITS.items()}
        want = spec_step(state, f)
        t = m.TABLE
        got = tuple(int(x[key]) for x in t)
        assert got == tuple(int(x) for x in want), (key, state, f)


def test_outside_the_window_only_state_and_four_facts_matter() -> None:
    """``decide`` skips the z facts outside the window (their bits keep old values)."""
    keep = sum(1 << b for b in (m.CLOSED, m.COOLED, m.MAXED, m.NO_BAR, m.OUTSIDE))
    keys = np.arange(m.N_KEYS)
    outside = keys[((keys >> m.OUTSIDE) & 1) == 1]
    state_bits = (outside >> m.STATE_SHIFT) << m.STATE_SHIFT
    core = state_bits | (outside & keep)
    for table in m.TABLE:
        assert (table[outside] == table[core]).all()


def _reference(
    cfg: StrategyConfig,
    state: int,
    side: int,
    age: int,
    z: float,
    htf: int,
    k: tuple[float, float, float, float],
    trades: int,
    atr_pct: float,
    closed: bool,
    in_window: bool,
    kill: bool,
) -> tuple[int, int, bool, int, int]:
    mr_arm, mr_trig, tc_arm, tc_trig = k
    zd = not math.isnan(z)
    az = abs(z) if zd else math.nan
    sz = side * z if zd else math.nan
    f = {
        "closed": closed,
        "cooled": age >= cfg.cooldown_bars,
        "maxed": trades >= cfg.max_trades_per_symbol,
        "timed_out": age > cfg.arm_timeout_bars,
        "abort": zd and az >= cfg.mr_abort_z,
        "overshoot": zd and sz >= mr_arm,
        "mr_trigger": zd and sz >= -mr_trig,
        "pullback": zd and sz <= tc_trig,
        "broken": zd and sz < -tc_trig,
        "tc_trigger": zd and sz > tc_trig,
        "tc_arm": zd and htf != 0 and az >= tc_arm and (z > 0) == (htf > 0),
        "mr_arm": zd and az >= mr_arm,
        "atr_ok": atr_pct <= cfg.atr_percentile_cap and not kill,
        "z_up": zd and z > 0,
        "no_bar": False,
        "outside": not in_window,
    }
    return spec_step(state, f)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    in_window=st.booleans(),
    kill=st.booleans(),
)
def test_decide_equals_the_spec_per_symbol(n: int, seed: int, in_window: bool, kill: bool) -> None:
    cfg = StrategyConfig()
    rng = np.random.default_rng(seed)
    a = SymbolArrays(n)
    a.state[:] = rng.integers(0, len(StateCode), n)
    a.side[:] = rng.choice([-1, 1], n)
    a.bar_idx[:] = rng.integers(0, 60, n)
    a.since[:] = a.bar_idx - rng.integers(0, 40, n)
    a.trades_today[:] = rng.integers(0, 4, n)
    a.htf[:] = rng.integers(-1, 2, n)
    a.atr_pct[:] = rng.uniform(50, 100, n)
    a.close_pending[:] = (a.state == StateCode.IN_POSITION) & (rng.random(n) < 0.5)
    z = rng.normal(0, 2, n)
    z[rng.random(n) < 0.15] = math.nan
    has = rng.random(n) < 0.85
    z[~has] = math.nan
    thr = Thresholds(cfg, tuple(f"S{i}" for i in range(n)))
    thr.effective(datetime(2026, 1, 2, 15, 0, tzinfo=UTC))  # no advice: neutral thresholds
    before = {
        "state": a.state.copy(),
        "side": a.side.copy(),
        "bar": a.bar_idx.copy(),
        "since": a.since.copy(),
        "closed": a.close_pending.copy(),
    }
    mv = m.Machine(cfg, n).decide(a, has, z, thr, in_window, kill)
    k0, k1, k2, k3 = (float(x) for x in thr.k[:, 0])
    k = (k0, k1, k2, k3)
    for i in range(n):
        if not has[i]:
            assert mv.new_st[i] == before["state"][i] and not mv.moved[i]
            assert a.bar_idx[i] == before["bar"][i]
            continue
        b = int(before["bar"][i]) + 1
        want = _reference(
            cfg, int(before["state"][i]), int(before["side"][i]), b - int(before["since"][i]),
            float(z[i]), int(a.htf[i]), k, int(a.trades_today[i]), float(a.atr_pct[i]),
            bool(before["closed"][i]), in_window, kill,
        )  # fmt: skip
        new_state, reason, new_age, side, signal = want
        if side:  # an arming: its side follows z (the table gets z's sign as a fact)
            assert mv.new_sd[i] == side
        assert (int(mv.new_st[i]), int(mv.reason[i])) == (new_state, reason), i
        assert bool(mv.sig_mr[i]) == (signal == m.SIGNAL_MR)
        assert bool(mv.sig_tc[i]) == (signal == m.SIGNAL_TC)
        assert int(mv.new_since[i]) == (b if new_age else int(before["since"][i]))
        if reason == Reason.ARM_TC:  # follows the HTF bias
            assert mv.new_sd[i] == a.htf[i]
        elif reason == Reason.ARM_MR:  # fades the move
            assert mv.new_sd[i] == (-1 if z[i] > 0 else 1)
        else:
            assert mv.new_sd[i] == before["side"][i]
        if reason == Reason.CLOSED:
            assert not a.close_pending[i]
