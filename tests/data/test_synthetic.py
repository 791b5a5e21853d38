"""The synthetic market: deterministic, on the real calendar, valid bars, and it makes z swing."""

from __future__ import annotations

import itertools
from datetime import date, time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llm_advisor.core.calendar import make_session
from llm_advisor.data.barfiles import load_bar_file, write_bar_file
from llm_advisor.data.synthetic import SyntheticMarket, symbol_profile

FIVE = ["SPY", "QQQ", "IWM", "NVDA", "TSLA"]
WEEK = date(2026, 1, 5)


@pytest.fixture(scope="module")
def month() -> dict[str, pd.DataFrame]:
    return SyntheticMarket(7).minute_bars([*FIVE, "ILLQ"], WEEK, 20)


def _ny(df: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(df.index).tz_convert("America/New_York")


def _regular(df: pd.DataFrame, day: date) -> pd.DataFrame:
    s = make_session(day)
    return df[(df.index >= pd.Timestamp(s.open)) & (df.index < pd.Timestamp(s.close))]


def test_same_seed_gives_identical_frames() -> None:
    a = SyntheticMarket(7).minute_bars(FIVE, WEEK, 3)
    b = SyntheticMarket(7).minute_bars(FIVE, WEEK, 3)
    for sym in FIVE:
        pd.testing.assert_frame_equal(a[sym], b[sym])


def test_different_seed_gives_different_bars() -> None:
    a = SyntheticMarket(7).minute_bars(["SPY"], WEEK, 2)["SPY"]
    b = SyntheticMarket(8).minute_bars(["SPY"], WEEK, 2)["SPY"]
    assert not a["close"].reindex(b.index).equals(b["close"])


def test_adding_a_symbol_does_not_change_another() -> None:
    alone = SyntheticMarket(7).minute_bars(["QQQ"], WEEK, 3)["QQQ"]
    crowd = SyntheticMarket(7).minute_bars(["SPY", "AAA", "QQQ", "ZZZ"], WEEK, 3)["QQQ"]
    pd.testing.assert_frame_equal(alone, crowd)


def test_more_sessions_extend_without_changing_the_past() -> None:
    short = SyntheticMarket(7).minute_bars(["NVDA"], WEEK, 3)["NVDA"]
    long = SyntheticMarket(7).minute_bars(["NVDA"], WEEK, 8)["NVDA"]
    pd.testing.assert_frame_equal(long.loc[: short.index[-1]], short)


def test_premarket_switch_leaves_regular_bars_unchanged() -> None:
    with_pm = SyntheticMarket(7).minute_bars(["TSLA"], WEEK, 3)["TSLA"]
    without = SyntheticMarket(7).minute_bars(["TSLA"], WEEK, 3, premarket=False)["TSLA"]
    pd.testing.assert_frame_equal(with_pm.loc[without.index], without)
    assert len(with_pm) > len(without)


def test_sessions_start_on_the_first_session_on_or_after_start() -> None:
    # 2026-01-03 is a Saturday; 2026-01-19 is Martin Luther King Jr. Day.
    days = SyntheticMarket.session_days(date(2026, 1, 3), 12)
    assert days[0] == date(2026, 1, 5)
    assert date(2026, 1, 19) not in days
    assert len(days) == 12
    bars = SyntheticMarket(7).minute_bars(["SPY"], date(2026, 1, 3), 12)["SPY"]
    assert sorted(set(_ny(bars).date)) == days


def test_full_days_have_390_regular_bars_for_liquid_names(month: dict[str, pd.DataFrame]) -> None:
    days = SyntheticMarket.session_days(WEEK, 20)
    for sym in FIVE:
        for day in days:
            reg = _regular(month[sym], day)
            assert len(reg) == 390, (sym, day)
            assert reg.index[0] == pd.Timestamp(make_session(day).open)


def test_thin_names_have_some_missing_minutes_but_never_invented_ones(
    month: dict[str, pd.DataFrame],
) -> None:
    assert symbol_profile("ILLQ").missing_rate > 0
    days = SyntheticMarket.session_days(WEEK, 20)
    counts = [len(_regular(month["ILLQ"], d)) for d in days]
    assert all(c <= 390 for c in counts)
    assert sum(counts) < 390 * len(days)
    assert min(counts) > 300


def test_half_day_has_210_bars_ending_at_1300_new_york() -> None:
    bars = SyntheticMarket(7).minute_bars(FIVE, date(2025, 11, 28), 1, premarket=False)
    for sym in FIVE:
        df = bars[sym]
        assert len(df) == 210
        assert _ny(df)[-1].time() == time(12, 59)


def test_regular_open_follows_dst() -> None:
    winter = SyntheticMarket(7).minute_bars(["SPY"], date(2026, 1, 6), 1, premarket=False)
    summer = SyntheticMarket(7).minute_bars(["SPY"], date(2025, 7, 7), 1, premarket=False)
    assert winter["SPY"].index[0] == pd.Timestamp("2026-01-06T14:30:00Z")
    assert summer["SPY"].index[0] == pd.Timestamp("2025-07-07T13:30:00Z")
    # The day after the spring-forward switch (Sunday 2026-03-08): 13:30Z.
    spring = SyntheticMarket(7).minute_bars(["SPY"], date(2026, 3, 9), 1, premarket=False)
    assert spring["SPY"].index[0] == pd.Timestamp("2026-03-09T13:30:00Z")


def test_premarket_bars_are_sparse_and_between_0400_and_0929(
    month: dict[str, pd.DataFrame],
) -> None:
    df = month["SPY"]
    ny = _ny(df)
    minutes = ny.hour * 60 + ny.minute
    pre = df[minutes < 570]
    pre_minutes = minutes[minutes < 570]
    assert len(pre) > 0
    assert pre_minutes.min() >= 240
    per_day = pd.Series(1, index=pre.index).groupby(_ny(pre).date).size()
    assert len(per_day) == 20
    assert (per_day < 330).all()
    assert (per_day > 10).all()
    assert minutes.max() < 960  # no after-hours bars


def test_ohlc_valid_cent_prices_integer_volume(month: dict[str, pd.DataFrame]) -> None:
    for sym, df in month.items():
        assert (df["high"] >= df[["open", "close"]].max(axis=1)).all(), sym
        assert (df["low"] <= df[["open", "close"]].min(axis=1)).all(), sym
        assert (df["low"] > 0).all(), sym
        prices = df[["open", "high", "low", "close"]].to_numpy()
        assert np.allclose(prices * 100, np.round(prices * 100), atol=1e-6), sym
        vol = df["volume"].to_numpy()
        assert (vol >= 1).all(), sym
        assert (vol == np.round(vol)).all(), sym
        assert df.index.is_monotonic_increasing and df.index.is_unique, sym
        assert all(dt == np.float64 for dt in df.dtypes), sym


def test_price_levels_are_realistic(month: dict[str, pd.DataFrame]) -> None:
    for sym, level in {"SPY": 600, "QQQ": 520, "IWM": 230, "NVDA": 180, "TSLA": 400}.items():
        first = month[sym]["open"].iloc[0]
        assert 0.9 * level < first < 1.1 * level, sym


def test_volume_and_volatility_are_u_shaped(month: dict[str, pd.DataFrame]) -> None:
    df = month["SPY"]
    ny = _ny(df)
    minute = pd.Series(ny.hour * 60 + ny.minute - 570, index=df.index)
    reg = df[(minute >= 0) & (minute < 390)]
    m = minute[reg.index]
    rng = (reg["high"] - reg["low"]) / reg["close"]
    first, mid, last = (m < 15), (m >= 150) & (m < 240), (m >= 375)
    assert rng[first].mean() > 1.5 * rng[mid].mean()
    assert rng[last].mean() > rng[mid].mean()
    assert reg["volume"][first].mean() > 2 * reg["volume"][mid].mean()
    assert reg["volume"][last].mean() > 1.5 * reg["volume"][mid].mean()


def test_opening_gaps_exist(month: dict[str, pd.DataFrame]) -> None:
    df = month["TSLA"]
    days = SyntheticMarket.session_days(WEEK, 20)
    gaps = []
    for prev, day in itertools.pairwise(days):
        prev_close = _regular(df, prev)["close"].iloc[-1]
        today_open = _regular(df, day)["open"].iloc[0]
        gaps.append(abs(today_open / prev_close - 1))
    assert max(gaps) > 0.005
    assert np.median(gaps) > 0.001


def test_both_regimes_occur() -> None:
    regimes = SyntheticMarket(7).session_regimes("SPY", WEEK, 40)
    kinds = list(regimes.values())
    assert kinds.count(SyntheticMarket.MEAN_REVERTING) >= 8
    assert kinds.count(SyntheticMarket.TRENDING) >= 8


def test_trending_sessions_move_further_than_mean_reverting_ones() -> None:
    start, n = WEEK, 60
    market = SyntheticMarket(7)
    regimes = market.session_regimes("QQQ", start, n)
    df = market.minute_bars(["QQQ"], start, n, premarket=False)["QQQ"]
    trending, reverting = SyntheticMarket.TRENDING, SyntheticMarket.MEAN_REVERTING
    moves: dict[str, list[float]] = {trending: [], reverting: []}
    for day, g in df.groupby(_ny(df).date):
        assert isinstance(day, date)
        moves[regimes[day]].append(abs(np.log(g["close"].iloc[-1] / g["open"].iloc[0])))
    assert np.mean(moves[trending]) > np.mean(moves[reverting])


def test_rolling_z_arms_and_triggers_the_stdev_thresholds(month: dict[str, pd.DataFrame]) -> None:
    """|z| of the 120-bar rolling z in the 09:30-12:00 window crosses 1.2 often and 1.8 on most
    days, and comes back under 0.6 after an excursion (so MR setups can trigger)."""
    days = SyntheticMarket.session_days(WEEK, 20)
    for sym in FIVE:
        above_12, days_18, returns = [], 0, 0
        for day in days:
            s = make_session(day)
            df = month[sym]
            g = df[df.index < pd.Timestamp(s.close)].iloc[-600:]  # seeds from before the day
            c = g["close"]
            roll = c.rolling(120, min_periods=60)
            z = ((c - roll.mean()) / roll.std(ddof=0)).to_numpy()
            ts = g.index
            in_window = (ts >= pd.Timestamp(s.window_start)) & (ts < pd.Timestamp(s.window_end))
            zw = np.abs(z[in_window])
            above_12.append(float(np.mean(zw > 1.2)))
            days_18 += bool((zw > 1.8).any())
            armed = np.flatnonzero(zw > 1.2)
            returns += bool(armed.size and (zw[armed[0] :] < 0.6).any())
        assert np.mean(above_12) > 0.15, sym
        assert days_18 >= len(days) // 2, sym
        assert returns >= len(days) // 2, sym


def test_synthetic_bars_round_trip_through_bar_files(tmp_path: Path) -> None:
    df = SyntheticMarket(3).minute_bars(["IWM"], WEEK, 2)["IWM"]
    write_bar_file(df, tmp_path / "IWM.csv.gz")
    pd.testing.assert_frame_equal(load_bar_file(tmp_path / "IWM.csv.gz"), df)


def test_sessions_must_be_positive() -> None:
    with pytest.raises(ValueError, match="sessions=0"):
        SyntheticMarket(7).minute_bars(["SPY"], WEEK, 0)


def test_start_beyond_the_exchange_calendar_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="start=2100-01-04 sessions=3"):
        SyntheticMarket.session_days(date(2100, 1, 4), 3)
