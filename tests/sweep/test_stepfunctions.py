"""The Distributed Map path without AWS: ``data upload`` to moto S3, the worker per item,
the ResultWriter's files, the reducer; the result equals the local pool's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from llm_advisor.aws.clients import reset_clients
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.sweep import data as sweep_data
from llm_advisor.sweep.data import DataSpec, upload_store
from llm_advisor.sweep.executors import run_pool
from llm_advisor.sweep.local_map import FakeStepFunctions, run_map
from llm_advisor.sweep.metrics import Objective
from llm_advisor.sweep.space import grid_trials, parse_grid
from llm_advisor.sweep.stepfunctions import execution_input, reduce, run_stepfunctions, worker
from llm_advisor.sweep.summary import summarize_sweep
from llm_advisor.sweep.trial import TrialResult

BUCKET = "archive"


@pytest.fixture
def s3(store: DataSpec) -> Iterator[Any]:
    with mock_aws():
        reset_clients()
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        counts = upload_store(Path(store.bars), BUCKET, "bars/1m", client)
        assert set(counts) == {"SPY", "QQQ", "NVDA"}
        yield client
        reset_clients()


def _trials() -> Any:
    trials, _ = grid_trials(parse_grid(["mr_arm_z=1.0,1.6", "cooldown_bars=2,8"]), StrategyConfig())
    return trials


def test_worker_and_reducer_on_s3_equal_the_local_pool(store: DataSpec, s3: Any) -> None:
    trials = _trials()
    local = run_pool(trials, store, workers=2)
    sweep_data._CACHE.clear()  # the S3 path below must download, not reuse the local frames
    remote = DataSpec(f"s3://{BUCKET}/bars/1m", store.start, store.end)
    objective = Objective("pnl")
    payload = execution_input("sw1", BUCKET, "sweeps", remote, objective, (3, 2), {"x": 1})
    s3.put_object(
        Bucket=BUCKET,
        Key=payload["trials_key"],
        Body=json.dumps([t.to_json() for t in trials]).encode(),
    )
    state = {**payload, "map": run_map(payload, s3)}
    out = reduce(state, s3)
    assert out["trials"] == 4 and out["failed"] == 0
    got = [
        TrialResult.from_json(
            json.loads(
                s3.get_object(Bucket=BUCKET, Key=f"sweeps/sw1/results/{t.trial_id}.json")[
                    "Body"
                ].read()
            )
        )
        for t in trials
    ]
    assert [r.comparable() for r in got] == [r.comparable() for r in local]
    summary = json.loads(s3.get_object(Bucket=BUCKET, Key=out["summary_key"])["Body"].read())
    want = summarize_sweep(local, objective, {"x": 1, "failed_trials": 0}, (3, 2))
    for k in ("deflated_sharpe", "walk_forward", "sensitivity"):
        assert summary[k] == json.loads(json.dumps(want[k])), k
    timeless = [{k: v for k, v in r.items() if k != "seconds"} for r in want["rows"]]
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in summary["rows"]] == timeless
    assert summary["best"]["trial_id"] == want["best"]["trial_id"]
    csv = s3.get_object(Bucket=BUCKET, Key="sweeps/sw1/results.csv")["Body"].read().decode()
    assert len(csv.splitlines()) == 5
    page = s3.get_object(Bucket=BUCKET, Key=out["report_key"])["Body"].read().decode()
    assert "Walk-forward" in page and "plotly" not in page.lower()  # the Lambda: no charts


def test_a_failed_item_is_counted_and_the_rest_reduced(store: DataSpec, s3: Any) -> None:
    remote = DataSpec(f"s3://{BUCKET}/bars/1m", store.start, store.end)
    payload = execution_input("sw2", BUCKET, "sweeps", remote, Objective(), None, {})
    items = [t.to_json() for t in _trials()[:2]]
    items.append({"trial_id": "tbad", "settings": {"mr_arm_z": "-1"}})
    s3.put_object(Bucket=BUCKET, Key=payload["trials_key"], Body=json.dumps(items).encode())
    out = reduce({**payload, "map": run_map(payload, s3)}, s3)
    assert (out["trials"], out["failed"]) == (2, 1)


def test_worker_rejects_a_bad_event_in_one_line(s3: Any) -> None:
    with pytest.raises(UserError, match=r"^event.trial: missing$"):
        worker({"data": {}}, s3)


def test_the_cli_client_follows_the_execution_and_returns_the_summary(
    store: DataSpec, s3: Any
) -> None:
    trials = _trials()
    remote = DataSpec(f"s3://{BUCKET}/bars/1m", store.start, store.end)
    payload = execution_input("sw3", BUCKET, "sweeps", remote, Objective(), None, {})
    seen: list[tuple[int, int]] = []
    summary = run_stepfunctions(
        trials,
        payload,
        "arn:aws:states:us-east-1:1:stateMachine:s",
        FakeStepFunctions(s3),
        s3,
        progress=lambda d, n: seen.append((d, n)),
        sleep=lambda s: None,
    )
    assert summary["n_trials"] == 4
    assert seen[-1] == (4, 4)


def test_a_warm_worker_reads_a_store_uploaded_again(
    store: DataSpec, s3: Any, tmp_path: Path
) -> None:
    """The per-process bar cache must not outlive the store it was read from: after
    ``data upload`` replaces the objects under the same prefix, the next trial of the same
    warm container replays the new bars."""
    from llm_advisor.sweep.data import load_bars
    from llm_advisor.sweep.local_map import synthetic_store

    remote = DataSpec(f"s3://{BUCKET}/bars/1m", store.start, store.end)
    first = load_bars(remote, s3)
    assert load_bars(remote, s3) is first  # unchanged store: served from memory
    other = tmp_path / "other"
    synthetic_store(other, ["SPY", "QQQ", "NVDA"], date(2024, 3, 4), 6, seed=99)
    upload_store(other, BUCKET, "bars/1m", s3)
    second = load_bars(remote, s3)
    assert second is not first
    assert not second["SPY"]["close"].equals(first["SPY"]["close"])
