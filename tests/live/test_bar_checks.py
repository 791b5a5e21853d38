"""The one rule book for a bar (``data.bar_checks``): each rule, and a property."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_advisor.data.bar_checks import check_bars

T0 = datetime(2024, 3, 12, 14, 0, tzinfo=UTC)
SESSION = (datetime(2024, 3, 12, 13, 30, tzinfo=UTC), datetime(2024, 3, 12, 20, 0, tzinfo=UTC))
GOOD = {"open": 10.0, "high": 11.0, "low": 9.0, "close": 10.5, "volume": 100.0}


def frame(rows: list[dict[str, float]], start: datetime = T0) -> pd.DataFrame:
    idx = pd.DatetimeIndex([start + timedelta(minutes=i) for i in range(len(rows))], tz=UTC)
    return pd.DataFrame(rows, index=idx, columns=["open", "high", "low", "close", "volume"])


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"open": 0.0}, "not_positive"),
        ({"low": -1.0}, "not_positive"),
        ({"close": math.nan}, "non_finite"),
        ({"high": math.inf}, "non_finite"),
        ({"low": -math.inf}, "non_finite"),
        ({"volume": math.nan}, "non_finite"),
        ({"volume": math.inf}, "non_finite"),
        ({"volume": -1.0}, "negative_volume"),
        ({"high": 8.0, "open": 8.5, "close": 8.5}, "high_below_low"),
        ({"open": 11.5}, "open_outside_range"),
        ({"open": 8.5}, "open_outside_range"),
        ({"close": 12.0}, "close_outside_range"),
        ({"close": 8.0}, "close_outside_range"),
    ],
)
def test_each_value_rule_rejects_and_names_the_bar(change: dict[str, float], reason: str) -> None:
    df = frame([GOOD, {**GOOD, **change}, GOOD])
    good, rejects = check_bars(df, "SPY", SESSION)
    assert list(good.index) == [df.index[0], df.index[2]]
    assert [(r.symbol, r.time, r.reason) for r in rejects] == [
        ("SPY", T0 + timedelta(minutes=1), reason)
    ]
    rej = rejects[0]
    for col, v in change.items():  # the raw values are kept exactly, for the quarantine
        got = getattr(rej, col)
        assert (math.isnan(got) and math.isnan(v)) or got == v


def test_a_bar_off_the_minute_or_outside_the_session_is_rejected() -> None:
    off = frame([GOOD], T0 + timedelta(seconds=30))
    assert [r.reason for r in check_bars(off, "SPY", SESSION)[1]] == ["not_minute_aligned"]
    early = frame([GOOD], SESSION[0] - timedelta(minutes=1))
    late = frame([GOOD], SESSION[1])
    assert [r.reason for r in check_bars(early, "SPY", SESSION)[1]] == ["outside_session"]
    assert [r.reason for r in check_bars(late, "SPY", SESSION)[1]] == ["outside_session"]
    assert check_bars(early, "SPY")[1] == []  # no window: premarket seeds are fine


def test_flat_and_edge_bars_pass() -> None:
    flat = {"open": 5.0, "high": 5.0, "low": 5.0, "close": 5.0, "volume": 0.0}
    df = frame([GOOD, flat])
    good, rejects = check_bars(df, "SPY", SESSION)
    assert rejects == [] and good is df


def test_a_frame_without_a_volume_column_rejects_rather_than_raises() -> None:
    df = frame([GOOD]).drop(columns=["volume"])
    assert [r.reason for r in check_bars(df, "SPY")[1]] == ["non_finite"]


SPECIAL = st.sampled_from([0.0, -0.0, -1.0, math.nan, math.inf, -math.inf, 1e-300, 1e300])
NUMBER = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), SPECIAL)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(NUMBER, NUMBER, NUMBER, NUMBER, NUMBER), min_size=1, max_size=8))
def test_no_bar_violating_the_invariants_ever_passes(
    rows: list[tuple[float, float, float, float, float]],
) -> None:
    df = frame([dict(zip(GOOD, r, strict=True)) for r in rows])
    good, rejects = check_bars(df, "SPY", SESSION)
    assert len(good) + len(rejects) == len(df)
    v = good.to_numpy(np.float64)
    o, h, lo, c, vol = v.T
    assert np.isfinite(v).all()
    assert (o > 0).all() and (h > 0).all() and (lo > 0).all() and (c > 0).all()
    assert (h >= np.maximum(o, c)).all() and (lo <= np.minimum(o, c)).all()
    assert (vol >= 0).all()
    # and nothing good is refused: every reject breaks at least one invariant
    for r in rejects:
        vals = [r.open, r.high, r.low, r.close, r.volume]
        ok = (
            all(math.isfinite(x) for x in vals)
            and min(vals[:4]) > 0
            and r.high >= max(r.open, r.close)
            and r.low <= min(r.open, r.close)
            and r.volume >= 0
        )
        assert not ok, r
