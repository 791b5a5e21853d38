"""Features against independent computations (pandas) on the real bars."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.data.barfiles import load_bar_file, load_daily_file
from llm_advisor.features.aggregate import aggregate, regular_session
from llm_advisor.features.indicators import ema, true_range, wilder_atr
from llm_advisor.features.rolling import RollingStats
from llm_advisor.features.snapshot import build_snapshots, htf_bias, seed_closes
from llm_advisor.live.engine import session_for_config


def test_rolling_stats_match_pandas_rolling_on_real_closes(shared_data: Path) -> None:
    closes = load_bar_file(shared_data / "bars_1m" / "NVDA.csv.gz")["close"].to_numpy()
    rs = RollingStats(1, 120)
    rs.reset_all([[]])
    means, sigmas = [], []
    for x in closes:
        rs.update(np.array([0]), np.array([x]))
        means.append(rs.mean[0])
        sigmas.append(rs.sigma(np.array([0]))[0])
    s = pd.Series(closes)
    exp_mean = s.rolling(120, min_periods=1).mean().to_numpy()
    exp_std = s.rolling(120, min_periods=1).std(ddof=0).to_numpy()
    np.testing.assert_allclose(means, exp_mean, rtol=1e-12)
    np.testing.assert_allclose(sigmas, exp_std, rtol=1e-8, atol=1e-9)


def test_rolling_stats_do_not_drift_after_a_million_updates() -> None:
    rng = np.random.default_rng(3)
    n, w = 4, 120
    rs = RollingStats(n, w)
    rs.reset_all([[] for _ in range(n)])
    prices = 500 + np.cumsum(rng.normal(0, 0.05, size=(250_000, n)), axis=0)
    idx = np.arange(n)
    for row in prices:
        rs.update(idx, row)
    tail = prices[-w:]
    np.testing.assert_allclose(rs.mean, tail.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(rs.sigma(idx), tail.std(axis=0), rtol=1e-9)


def test_ema_is_pandas_ewm_adjust_false(shared_data: Path) -> None:
    c = load_daily_file(shared_data / "daily" / "SPY.csv.gz")["close"].to_numpy()[-500:]
    np.testing.assert_allclose(
        ema(c, 20), pd.Series(c).ewm(span=20, adjust=False).mean(), rtol=1e-12
    )


def test_wilder_atr_matches_an_independent_pandas_computation(shared_data: Path) -> None:
    d = load_daily_file(shared_data / "daily" / "QQQ.csv.gz").iloc[-300:]
    h, lo, c = d["high"], d["low"], d["close"]
    tr = pd.concat([h - lo, (h - c.shift()).abs(), (lo - c.shift()).abs()], axis=1).max(axis=1)
    tr.iloc[0] = h.iloc[0] - lo.iloc[0]
    exp = np.full(len(tr), np.nan)
    exp[13] = tr.iloc[:14].mean()
    for i in range(14, len(tr)):
        exp[i] = (13 * exp[i - 1] + tr.iloc[i]) / 14
    got = wilder_atr(true_range(h.to_numpy().copy(), lo.to_numpy(), c.to_numpy()), 14)
    np.testing.assert_allclose(got, exp, rtol=1e-12)


def test_five_minute_aggregation_equals_the_vendor_five_minute_bars(shared_data: Path) -> None:
    one = load_bar_file(shared_data / "bars_1m" / "SPY.csv.gz")
    five = load_bar_file(shared_data / "bars_5m" / "SPY.csv.gz")
    agg = aggregate(regular_session(one), 5)
    got = pd.DataFrame(
        {"open": agg.open, "high": agg.high, "low": agg.low, "close": agg.close},
        index=pd.to_datetime(agg.ts, utc=True),
    )
    common = got.index.intersection(five.index)
    common = common[(common >= "2026-01-22") & (common < "2026-03-07")]
    assert len(common) > 2000
    pd.testing.assert_frame_equal(
        got.loc[common],
        five.loc[common, ["open", "high", "low", "close"]],
        check_freq=False,
        check_names=False,
    )


def test_daily_aggregation_uses_first_open_max_high_min_low_last_close(shared_data: Path) -> None:
    one = load_bar_file(shared_data / "bars_1m" / "QQQ.csv.gz")
    agg = aggregate(regular_session(one), None)
    ny = one.index.tz_convert("America/New_York")
    g = one.groupby(ny.date)
    day = date(2026, 2, 10)
    i = int(np.flatnonzero(agg.session_day == day.toordinal())[0])
    assert agg.open[i] == g["open"].first()[day] and agg.close[i] == g["close"].last()[day]
    assert agg.high[i] == g["high"].max()[day] and agg.low[i] == g["low"].min()[day]


def test_snapshot_ignores_everything_at_or_after_the_session(shared_data: Path) -> None:
    bars = load_bar_file(shared_data / "bars_1m" / "META.csv.gz")
    day = date(2026, 3, 2)
    cfg = StrategyConfig()
    sess = session_for_config(day, cfg)
    before = build_snapshots("META", bars, [day], cfg)[day]
    changed = bars.copy()
    later = changed.index >= sess.open
    changed.loc[later, ["open", "high", "low", "close"]] *= 1.37
    after = build_snapshots("META", changed, [day], cfg)[day]
    assert before == after
    np.testing.assert_array_equal(seed_closes(bars, sess, 120), seed_closes(changed, sess, 120))


@pytest.mark.parametrize(
    ("d", "h", "tag", "bias"),
    [
        (0.01, 0.01, "RANGE", "bullish"),
        (0.01, 0.01, "LL_LH", "neutral"),
        (-0.01, -0.01, "RANGE", "bearish"),
        (-0.01, -0.01, "HH_HL", "neutral"),
        (0.01, -0.01, "HH_HL", "neutral"),
    ],
)
def test_htf_bias_needs_both_slopes_and_a_non_contrary_tag(
    d: float, h: float, tag: str, bias: str
) -> None:
    assert htf_bias(d, h, tag) == bias  # type: ignore[arg-type]
