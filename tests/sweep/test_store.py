"""A sweep in the database on both engines: parent + one child per trial, replaced whole
when recorded again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.storage.repository import open_repository
from llm_advisor.sweep.data import DataSpec
from llm_advisor.sweep.executors import run_sequential
from llm_advisor.sweep.metrics import Objective
from llm_advisor.sweep.space import grid_trials, parse_grid
from llm_advisor.sweep.store import child_runs, record_sweep
from llm_advisor.sweep.summary import summarize_sweep


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    import psycopg

    base = str(request.getfixturevalue("pg_url"))
    name = f"t_sweep_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(base)._replace(path="/" + name))
    yield url
    from llm_advisor.storage.db import close_pool

    close_pool(url)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_parent_and_children_replaced_on_rerecord(store: DataSpec, db: str) -> None:
    trials, _ = grid_trials(parse_grid(["mr_arm_z=1.0,1.6"]), StrategyConfig())
    results = run_sequential(trials, store)
    summary = summarize_sweep(results, Objective(), {"sweep_id": "s1"})
    repo = open_repository(db, migrate_schema=True)
    now = datetime(2024, 3, 12, 21, tzinfo=UTC)
    for _ in range(2):
        parent = record_sweep(repo, "s1", summary, results, store, ["SPY"], now)
    assert parent == "sweep-s1"
    kids = child_runs(repo, parent)
    assert len(kids) == 2
    for r in results:
        kid = f"sweep-s1-{r.trial_id}"
        assert kid in kids
        assert len(repo.get_trades(kid)) == r.n_trades
        run = repo.get_run(kid)
        assert run is not None and run.config["mr_arm_z"] == float(r.settings["mr_arm_z"])
    head = repo.get_run(parent)
    assert head is not None and head.summary["best"]["trial_id"] == summary["best"]["trial_id"]
