"""The replay streamed from the columnar store equals the replay of the same bars in memory.

``StoreSource`` and ``FrameSource`` read a date at a time (the store, or frames in memory)
and keep per symbol only what the next session needs; ``batch_source.BatchSource`` is the
replay as it was before streaming (whole-history frames, ``build_snapshots``), the
reference. Session by session their grids, seed closes and snapshots must be identical
(bits, not tolerances), and so must whole replays: trades, signals, transitions, summary and
run id.
The bars are made awkward on purpose: symbols that start late, end early, skip whole
sessions or most of their minutes (seeds reaching back over several sessions), premarket
bars, and a session in which one symbol has no bar.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from llm_advisor.analysis.rules import RulesAnalyst
from llm_advisor.core.calendar import NY, sessions_between
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import Snapshot
from llm_advisor.data import columnar
from llm_advisor.data.synthetic import SyntheticMarket
from llm_advisor.features.aggregate import aggregate, aggregate_session, regular_session
from llm_advisor.features.snapshot import NO_BANDS, Bands, make_snapshot
from llm_advisor.replay.frame_source import FrameSource
from llm_advisor.replay.partitions import PartitionReader, Rows, partition_files
from llm_advisor.replay.runner import ReplayResult, run_replay
from llm_advisor.replay.store_source import StoreBars, StoreSource
from tests.replay.batch_source import BatchSource

START = date(2026, 1, 5)
CFG = StrategyConfig()


def _ny_day(df: pd.DataFrame) -> NDArray[np.object_]:
    return np.array(pd.DatetimeIndex(df.index).tz_convert(NY).date)


def awkward_bars(symbols: int, sessions: int, seed: int = 3) -> dict[str, pd.DataFrame]:
    """Synthetic bars (with premarket) bent out of shape symbol by symbol."""
    names = [f"S{i:02d}" for i in range(symbols)]
    bars = SyntheticMarket(seed).minute_bars(names, START, sessions)
    days = SyntheticMarket.session_days(START, sessions)
    rng = np.random.default_rng(seed)
    out: dict[str, pd.DataFrame] = {}
    for i, (sym, whole) in enumerate(sorted(bars.items())):
        day = _ny_day(whole)
        keep: NDArray[np.bool_] = np.ones(len(whole), dtype=bool)
        kind = i % 6
        if kind == 1:  # starts late
            keep = day >= days[sessions // 3]
        elif kind == 2:  # ends early
            keep = day <= days[2 * sessions // 3]
        elif kind == 3:  # misses two whole sessions in the middle
            keep = (day != days[sessions // 2]) & (day != days[sessions // 2 + 1])
        elif kind == 4:  # sparse: seeds reach back over several sessions
            keep = rng.random(len(whole)) < 0.08
        elif kind == 5:  # random gaps
            keep = rng.random(len(whole)) < 0.7
        out[sym] = whole[keep]
    return out


def write_store(bars: dict[str, pd.DataFrame], root: Path) -> Path:
    columnar.write_frames([bars], root)
    return root


def frames_through(root: Path, end: date) -> dict[str, pd.DataFrame]:
    """What the in-memory path replays: the store's frames up to ``end``."""
    return columnar.read_bars(root, None, None, end)


def assert_same_inputs(
    frames: dict[str, pd.DataFrame],
    store: StoreBars,
    sessions: list[date],
    daily: dict[str, pd.DataFrame] | None = None,
) -> int:
    old = BatchSource(frames, daily)
    n = 0
    for new in (FrameSource(frames, daily), StoreSource(store, daily)):
        assert old.symbols == new.symbols
        n = 0
        for a, b in zip(old.stream(sessions, CFG), new.stream(sessions, CFG), strict=True):
            assert (a.day, a.bars) == (b.day, b.bars)
            np.testing.assert_array_equal(a.grid, b.grid)
            for s in old.symbols:
                np.testing.assert_array_equal(a.seeds[s], b.seeds[s], err_msg=f"{s} {a.day}")
                assert a.snapshots[s] == b.snapshots[s], (s, a.day)
                assert a.snapshots[s].model_dump() == b.snapshots[s].model_dump()
            n += 1
        assert old.fingerprint() == new.fingerprint()
    return n


def assert_same_replay(a: ReplayResult, b: ReplayResult) -> None:
    assert a.trades == b.trades
    assert a.signals == b.signals
    assert a.transitions == b.transitions
    assert a.advices == b.advices
    assert a.summary == b.summary
    assert a.run_id == b.run_id
    assert (a.symbols, a.sessions, a.symbol_bars) == (b.symbols, b.sessions, b.symbol_bars)
    assert a.equity_curve == b.equity_curve


@pytest.mark.parametrize(("symbols", "sessions"), [(3, 8), (12, 26), (30, 12)])
def test_each_session_is_identical_streamed_or_in_memory(
    tmp_path: Path, symbols: int, sessions: int
) -> None:
    bars = awkward_bars(symbols, sessions)
    root = write_store(bars, tmp_path / "store")
    days = SyntheticMarket.session_days(START, sessions)
    first, end = days[2], days[-1]
    frames = frames_through(root, end)
    store = StoreBars(root, sorted(frames), end)
    assert assert_same_inputs(frames, store, sessions_between(first, end)) == len(days) - 2


def test_a_whole_replay_is_identical_streamed_or_in_memory(tmp_path: Path) -> None:
    bars = awkward_bars(12, 20, seed=5)
    root = write_store(bars, tmp_path / "store")
    days = SyntheticMarket.session_days(START, 20)
    start, end = days[5], days[-1]
    frames = frames_through(root, end)
    a = run_replay(CFG, frames, start, end, show_progress=False)
    b = run_replay(CFG, StoreBars(root, sorted(frames), end), start, end, show_progress=False)
    assert a.trades and a.signals
    assert_same_replay(a, b)
    # with an analyst asked on the session clock, and daily files for some symbols
    daily = {s: _daily_of(frames[s]) for s in sorted(frames)[::3]}
    a = run_replay(CFG, frames, start, end, RulesAnalyst(CFG), daily=daily, show_progress=False)
    b = run_replay(
        CFG, StoreBars(root, sorted(frames), end), start, end, RulesAnalyst(CFG), daily=daily,
        show_progress=False,
    )  # fmt: skip
    assert a.advices
    assert_same_replay(a, b)


def _daily_of(df: pd.DataFrame) -> pd.DataFrame:
    """A daily file of the minutes' sessions (index of dates, like ``load_daily_file``)."""
    g = df.groupby(_ny_day(df))
    out = pd.DataFrame(
        {"open": g["open"].first(), "high": g["high"].max(), "low": g["low"].min(),
         "close": g["close"].last(), "volume": g["volume"].sum()}
    )  # fmt: skip
    out.index = pd.DatetimeIndex(pd.to_datetime(out.index)).rename("date")
    return out


def test_a_session_without_any_bar_in_the_store_still_replays(tmp_path: Path) -> None:
    bars = awkward_bars(4, 10)
    days = SyntheticMarket.session_days(START, 10)
    hole = days[6]
    bars = {s: df[_ny_day(df) != hole] for s, df in bars.items()}
    root = write_store(bars, tmp_path / "store")
    assert hole not in partition_files(root)
    frames = frames_through(root, days[-1])
    store = StoreBars(root, sorted(frames), days[-1])
    assert assert_same_inputs(frames, store, days[3:]) == len(days) - 3


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    keep=st.lists(st.floats(0.02, 1.0), min_size=2, max_size=5),
    first=st.integers(0, 6),
    length=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_property_streamed_equals_in_memory(
    tmp_path_factory: pytest.TempPathFactory, keep: list[float], first: int, length: int,
    seed: int,
) -> None:  # fmt: skip
    """Any share of bars kept per symbol and any replayed range inside the data."""
    names = [f"P{i}" for i in range(len(keep))]
    bars = SyntheticMarket(seed).minute_bars(names, START, 12)
    rng = np.random.default_rng(seed)
    bars = {s: df[rng.random(len(df)) < k] for (s, df), k in zip(bars.items(), keep, strict=True)}
    bars = {s: df for s, df in bars.items() if len(df)}
    if not bars:
        return
    root = write_store(bars, tmp_path_factory.mktemp("p") / "store")
    days = SyntheticMarket.session_days(START, 12)
    start, end = days[first], days[min(first + length, 11)]
    frames = frames_through(root, end)
    if not frames:
        return
    store = StoreBars(root, sorted(frames), end)
    assert_same_inputs(frames, store, sessions_between(start, end))


def test_the_source_holds_a_bounded_number_of_dates(tmp_path: Path) -> None:
    """Memory does not grow with the sessions: each date is read once, in order, and at most
    ``AHEAD + 1`` are held at any time; what is carried between sessions has a fixed size."""
    bars = awkward_bars(5, 30)
    root = write_store(bars, tmp_path / "store")
    days = SyntheticMarket.session_days(START, 30)
    src = StoreSource(StoreBars(root, sorted(bars), days[-1]))
    reads: list[date] = []
    real_read = src.reader.read

    def read(day: date) -> Rows:
        reads.append(day)
        return real_read(day)

    src.reader.read = read  # type: ignore[method-assign]
    carried = []
    for inp in src.stream(days[1:], CFG):
        assert src.held <= StoreSource.AHEAD + 1
        assert max(reads) <= inp.day + timedelta(days=7)  # never far ahead of the replay
        carried.append(src.carried())
    assert reads == sorted(set(reads)) == sorted(partition_files(root))
    assert src.max_held == StoreSource.AHEAD + 1
    assert len(carried) == 29 and len(set(carried)) == 1 and carried[0] > 0


def test_chunked_aggregation_equals_aggregating_the_whole_history(tmp_path: Path) -> None:
    bars = awkward_bars(6, 12)
    root = write_store(bars, tmp_path / "store")
    reader = PartitionReader(root, sorted(bars))
    chunks = [aggregate_session(r.code, r.ts, r.high, r.low, r.close, r.day)
              for r in map(reader.read, reader.dates())]  # fmt: skip
    for j, sym in enumerate(sorted(bars)):
        reg = regular_session(bars[sym])
        for minutes, part in ((5, "five"), (60, "hourly"), (None, "daily")):
            whole = aggregate(reg, minutes)
            got = [getattr(c, part) for c in chunks]
            for field in ("high", "low", "close"):
                mine = np.concatenate([getattr(g, field)[g.code == j] for g in got])
                np.testing.assert_array_equal(mine, getattr(whole, field), err_msg=f"{sym} {part}")


def test_store_bars_is_a_lazy_mapping_of_the_frames(tmp_path: Path) -> None:
    bars = awkward_bars(4, 6)
    root = write_store(bars, tmp_path / "store")
    end = SyntheticMarket.session_days(START, 6)[3]
    store = StoreBars(root, sorted(bars), end)
    want = frames_through(root, end)
    assert list(store) == sorted(bars) and len(store) == 4 and "S01" in store
    assert "ZZZ" not in store
    pd.testing.assert_frame_equal(store["S02"], want["S02"])
    store.preload(["S00", "S03"])
    pd.testing.assert_frame_equal(store["S03"], want["S03"])
    with pytest.raises(KeyError):
        store["ZZZ"]


def test_make_snapshot_equals_a_validated_snapshot() -> None:
    day = date(2026, 3, 2)
    for bands in (NO_BANDS, Bands(1.0, 0.5, None, (0.1, 0.2), 1.1), Bands(1.0, 0.5, 0.3, (), 2.0)):
        fast = make_snapshot("AAA", day, 0.01, 0.02, "RANGE", 1.5, 40.0, bands, 30)
        checked = Snapshot.model_validate(fast.model_dump())
        assert fast == checked and fast.model_dump() == checked.model_dump()
        assert fast.model_fields_set == checked.model_fields_set
        assert fast.htf_bias == "bullish"


def test_real_minute_bars_streamed_equal_in_memory(shared_data: Path, tmp_path: Path) -> None:
    """31 real symbols with their own missing days (full-volume days only) and a DST
    change, with and without the daily files."""
    root = tmp_path / "store"
    columnar.convert(shared_data / "bars_1m", root)
    end = date(2026, 3, 19)
    frames = frames_through(root, end)
    sessions = sessions_between(date(2026, 2, 2), end)
    store = StoreBars(root, sorted(frames), end)
    assert assert_same_inputs(frames, store, sessions) == len(sessions)
    from llm_advisor.data.barfiles import BarDirectory

    dd = BarDirectory(shared_data / "daily")
    daily = {s: dd.load(s) for s in frames if s in dd}
    assert 0 < len(daily) < len(frames)
    assert_same_inputs(frames, store, sessions, daily)
    a = run_replay(CFG, frames, sessions[0], end, daily=daily, show_progress=False)
    b = run_replay(CFG, store, sessions[0], end, daily=daily, show_progress=False)
    assert a.trades
    assert_same_replay(a, b)


def test_real_extended_hours_bars_streamed_equal_in_memory(
    shared_data: Path, tmp_path: Path
) -> None:
    """Polygon bars with pre- and after-market rows: the seeds come from them."""
    root = tmp_path / "store"
    columnar.convert(shared_data / "bars_1m_polygon", root)
    end = date(2024, 3, 28)
    frames = frames_through(root, end)
    sessions = sessions_between(date(2024, 2, 20), end)
    assert assert_same_inputs(frames, StoreBars(root, sorted(frames), end), sessions) > 20


def test_stores_of_other_layouts_stream_the_same(tmp_path: Path) -> None:
    """A store written before one-file-per-date (ten files a date, small row groups) and a
    date file whose rows are out of order both give the same sessions."""
    import pyarrow.parquet as pq

    bars = awkward_bars(6, 8)
    days = SyntheticMarket.session_days(START, 8)
    old = tmp_path / "old"
    for b, names in enumerate((sorted(bars)[:3], sorted(bars)[3:])):
        pq.write_to_dataset(
            columnar._table({s: bars[s] for s in names}), old, partition_cols=[columnar.PARTITION],
            basename_template=f"part-{b:05d}-{{i}}.parquet", max_rows_per_group=500,
        )  # fmt: skip
    (old / columnar.MANIFEST).write_text(
        f'{{"format": "{columnar.FORMAT}", "symbols": {sorted(bars)!r}}}'.replace("'", '"')
    )
    shuffled = tmp_path / "shuffled"
    write_store(bars, shuffled)
    f = partition_files(shuffled)[days[4]][0]
    table = pq.read_table(f)
    pq.write_table(table.take(np.random.default_rng(1).permutation(table.num_rows)), f)
    want = frames_through(write_store(bars, tmp_path / "new"), days[-1])
    assert len(partition_files(old)[days[3]]) == 2
    for root in (old, shuffled):
        store = StoreBars(root, sorted(want), days[-1])
        assert assert_same_inputs(want, store, days[2:]) == len(days) - 2
