"""The kernel's shared pieces: one minute grid for replay and the tick, one order id,
named state and reason codes, and the one field list of the state codec."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from llm_advisor.core.config import StrategyConfig
from llm_advisor.engine import session_for_config
from llm_advisor.engine.arrays import SymbolArrays, columns
from llm_advisor.engine.grid import NS_MIN, minute_grid, new_grid
from llm_advisor.engine.ids import client_order_id, parse_client_order_id
from llm_advisor.engine.states import REASONS, STATE_NAMES, Reason, StateCode
from llm_advisor.execution.round_trips import parse_client_order_id as broker_parse
from llm_advisor.live.bars import minutes_of
from llm_advisor.replay.runner import Series, session_grid

OPEN = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def _frame(stamps: list[str]) -> pd.DataFrame:
    idx = pd.DatetimeIndex(pd.to_datetime(stamps, utc=True))
    n = len(stamps)
    v = np.arange(1.0, n + 1.0) + 100.0
    return pd.DataFrame({"open": v, "high": v + 1, "low": v - 1, "close": v, "volume": v}, idx)


def test_replay_and_tick_place_bars_on_the_same_minutes() -> None:
    # an off-minute stamp (14:31:30) belongs to no minute: both paths leave it out
    stamps = ["2026-03-02T14:30:00Z", "2026-03-02T14:31:30Z", "2026-03-02T14:32:00Z"]
    df = _frame(stamps)
    sess = session_for_config(date(2026, 3, 2), StrategyConfig())
    grid, _, count = session_grid({"AAA": Series.of(df)}, ["AAA"], sess, 10)
    s = Series.of(df)
    batch = (np.zeros(3, dtype=np.int64), s.ts, [s.open, s.high, s.low, s.close, s.volume])
    mins, _ = minutes_of(1, batch, OPEN, OPEN + pd.Timedelta(minutes=3).to_pytimedelta())
    assert count == 2
    assert [int(i) for i in np.flatnonzero(~np.isnan(grid[3, :, 0]))] == [0, 2]
    assert [(m - OPEN).seconds // 60 for m, _ in mins] == [0, 2]
    assert [float(mb.close[0]) for _, mb in mins] == [101.0, 103.0]


def test_minute_grid_keeps_only_the_grids_minutes() -> None:
    g = new_grid(2, 1)
    ts = np.array([-NS_MIN, 0, NS_MIN, 2 * NS_MIN], dtype=np.int64)
    vals = [np.array([1.0, 2.0, 3.0, 4.0])] * 5
    assert minute_grid(g, 0, ts, vals, 0) == 2
    assert g[3, :, 0].tolist() == [2.0, 3.0]


def test_one_client_order_id_builder_and_parser() -> None:
    t = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    cid = client_order_id(date(2026, 3, 2), "SPY", "MR", "long", t)
    assert cid == "stdev-20260302-SPY-MR-long-2026-03-02T14:30:00Z"
    parsed = parse_client_order_id(cid)
    assert parsed is not None and parsed[2] == t
    assert broker_parse is parse_client_order_id


def test_codes_name_the_spec_strings() -> None:
    assert [s.value for s in STATE_NAMES] == [c.name.lower() for c in StateCode]
    assert StateCode.TC_PULLBACK.model is STATE_NAMES[3]
    assert Reason.BROKEN.text == "trend_broken" and len(REASONS) == len(Reason)


def test_every_column_round_trips_through_the_codec() -> None:
    a = SymbolArrays(3)
    for k, f in enumerate(columns()):
        arr = getattr(a, f.name)
        arr[:] = [k % 2, 1, 0] if arr.dtype == bool else [k, k + 1, k + 2]
    a.atr5[1] = np.nan
    b = SymbolArrays(3)
    b.decode(a.encode())
    for f in columns():
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name))
    assert a.encode()["atr5"][1] is None
