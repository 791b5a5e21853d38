"""The per-minute log: the engine's arrays, the tick's batch per minute, the table's key and
retention (issue 12, item 6)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from llm_advisor.live.engine import STATE_NAMES, MinuteFeatures
from llm_advisor.live.tick import engine_key, run_tick
from llm_advisor.storage import Repository, open_repository
from llm_advisor.storage import minute_log as ml

from .support import DAY, SYMBOLS, at, make_deps, run_ticks


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Repository]:
    if request.param == "sqlite":
        r = open_repository(f"sqlite:///{tmp_path / 'm.sqlite3'}", migrate_schema=True)
        yield r
        r.close()
        return
    from benchmarks._scratch_db import scratch_postgres

    request.getfixturevalue("pg_url")
    with scratch_postgres("minute_log_test") as url:
        assert url is not None
        r = open_repository(url, migrate_schema=True)
        yield r


def _rows(repo: Repository, run: str = "live") -> list[tuple[Any, ...]]:
    with repo.db.transaction() as cur:
        cur.execute(
            f"SELECT {', '.join(ml.COLS)} FROM live_loop_minutes WHERE run_id = ? "
            "ORDER BY symbol, timestamp",
            (run,),
        )
        return [tuple(r) for r in cur.fetchall()]


def _feature(minute: datetime, z: float = 1.0) -> MinuteFeatures:
    k = np.array([[2.0, 2.0], [0.5, 0.5], [2.5, 2.5], [0.8, 0.8]])
    return MinuteFeatures(
        minute,
        ("QQQ", "SPY"),
        np.array([0, 1]),
        np.array([400.0, 500.0]),
        np.array([z, math.nan]),
        np.array([399.0, 501.0]),
        np.array([1.0, 2.0]),
        np.array([math.nan, 0.7]),
        np.array([1, 0]),
        np.array([-1, 0]),
        k,
    )


# ---------------------------------------------------------------- the engine
def test_the_step_logs_minutes_only_when_asked_and_they_agree_with_the_transitions(
    frames: dict[str, pd.DataFrame],
) -> None:
    deps, _, _, rec = make_deps(frames)
    results = run_ticks(deps, at("09:31"), at("16:00"))
    assert results[-1].session_ended
    logged = {(m.minute, m.symbols[i]): (m, j) for m in rec.minutes for j, i in enumerate(m.idx)}
    assert len(logged) == sum(r.minute_rows for r in results) > 0
    assert rec.transitions, "the synthetic day must have transitions to compare with"
    for t in rec.transitions:
        m, j = logged[(t.timestamp, t.symbol)]
        assert STATE_NAMES[int(m.state[j])] == t.new_state
        assert (None if math.isnan(m.z[j]) else float(m.z[j])) == t.z
        assert [float(x) for x in m.thresholds[:, j]] == [
            t.mr_arm_z,
            t.mr_trigger_z,
            t.tc_arm_z,
            t.tc_trigger_z,
        ]
    # arrays are the minute's, not views of the engine's (later minutes did not change them)
    first = rec.minutes[0]
    assert [float(c) for c in first.close] == [
        float(frames[s].loc[pd.Timestamp(first.minute), "close"]) for s in SYMBOLS
    ]
    # not asked (replay): nothing built
    off, _, _, rec_off = make_deps(frames)
    off.minute_log = False
    run_ticks(off, at("09:31"), at("10:00"))
    assert rec_off.minutes == [] and rec_off.pruned == []


# ---------------------------------------------------------------- the table
def test_rows_round_trip_with_nulls_and_a_rerun_inserts_nothing(repo: Repository) -> None:
    t0 = datetime(2024, 3, 12, 14, 0, tzinfo=UTC)
    batch = [_feature(t0), _feature(t0 + timedelta(minutes=1), z=-2.5)]
    assert repo.save_minute_log(batch) == 4
    before = _rows(repo)
    assert repo.save_minute_log(batch) == 4  # a retried tick
    assert _rows(repo) == before and len(before) == 4
    day = repo.minute_features("QQQ", DAY)
    assert [(r.timestamp, r.z, r.state, r.side, r.atr_5m) for r in day] == [
        (t0, 1.0, "mr_armed", -1, None),
        (t0 + timedelta(minutes=1), -2.5, "mr_armed", -1, None),
    ]
    spy = repo.minute_features("SPY", DAY)[0]
    assert (spy.z, spy.mu, spy.sigma, spy.atr_5m, spy.close) == (None, 501.0, 2.0, 0.7, 500.0)
    assert (spy.mr_arm_z, spy.mr_trigger_z, spy.tc_arm_z, spy.tc_trigger_z) == (2, 0.5, 2.5, 0.8)
    assert repo.scoped("other").minute_features("QQQ", DAY) == []
    assert repo.minute_features("QQQ", DAY + timedelta(days=1)) == []


def test_retention_deletes_only_older_rows_of_the_run(repo: Repository) -> None:
    old = datetime(2024, 2, 1, 15, 0, tzinfo=UTC)
    new = datetime(2024, 3, 12, 15, 0, tzinfo=UTC)
    repo.save_minute_log([_feature(old), _feature(new)])
    repo.save_minute_log([_feature(old)], run_id="local-day")
    assert repo.prune_minute_log(datetime(2024, 3, 1, tzinfo=UTC)) == 2
    assert {r[2] for r in _rows(repo)} == {repo.codec.ts(new)}
    assert len(_rows(repo, "local-day")) == 2  # another run's log is not touched
    assert repo.prune_minute_log(datetime(2024, 3, 1, tzinfo=UTC)) == 0


def test_prune_is_bounded_per_call(repo: Repository) -> None:
    base = datetime(2024, 2, 1, 15, 0, tzinfo=UTC)
    repo.save_minute_log([_feature(base + timedelta(minutes=i)) for i in range(5)])
    cutoff = datetime(2024, 3, 1, tzinfo=UTC)
    assert ml.prune(repo.db, repo.codec, "live", cutoff, batch=3, max_batches=2) == 6
    assert ml.prune(repo.db, repo.codec, "live", cutoff, batch=3, max_batches=2) == 4


# ---------------------------------------------------------------- through the tick
def test_the_tick_writes_every_symbol_every_minute_once_even_when_rerun(
    frames: dict[str, pd.DataFrame], repo: Repository
) -> None:
    deps, state, _, _ = make_deps(frames)
    deps.records = repo  # type: ignore[assignment]
    run_tick(at("09:31"), deps)
    before_last = dict(state._items)
    last = run_tick(at("10:01"), deps)  # 30 minutes in one tick: one batch
    assert last.minute_rows == len(SYMBOLS) * 30
    rows = _rows(repo)
    assert len(rows) == len(SYMBOLS) * 31
    # the tick died before saving its state: the retry repeats the same minutes
    state._items = before_last
    again = run_tick(at("10:01"), deps)
    assert again.minute_rows == len(SYMBOLS) * 30 and again.version == last.version
    assert _rows(repo) == rows
    minutes = repo.minute_features("SPY", DAY)
    assert len(minutes) == 31 and minutes[0].timestamp == at("09:30")
    assert [m.close for m in minutes] == [
        float(frames["SPY"].loc[pd.Timestamp(m.timestamp), "close"]) for m in minutes
    ]


def test_the_session_close_tick_applies_the_retention(
    frames: dict[str, pd.DataFrame], repo: Repository
) -> None:
    deps, state, _, _ = make_deps(frames)
    deps.records = repo  # type: ignore[assignment]
    deps.minute_log_retention_days = 10
    old = at("10:00") - timedelta(days=11)
    repo.save_minute_log([_feature(old)])
    run_tick(at("15:59"), deps)
    assert len(_rows(repo)) == 2 + len(SYMBOLS) * 389  # nothing pruned during the session
    end = run_tick(at("16:00"), deps)
    assert end.session_ended and end.minute_rows_pruned == 2
    assert len(_rows(repo)) == len(SYMBOLS) * 390
    deps.minute_log_retention_days = 0  # keep forever: nothing is deleted
    repo.save_minute_log([_feature(old)])
    state._items.pop(engine_key(DAY))
    assert run_tick(at("16:00"), deps).minute_rows_pruned == 0
    assert len(_rows(repo)) == 2 + len(SYMBOLS) * 390


def test_state_codes_match_the_engine() -> None:
    assert tuple(s.value for s in STATE_NAMES) == ml.STATE_CODES
