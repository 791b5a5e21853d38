"""The sweep on AWS Step Functions Distributed Map: the worker, the reducer and the client.

S3 layout under ``s3://BUCKET/PREFIX/SWEEP_ID/`` (PREFIX is ``sweeps`` in the template):

- ``trials.json``: the JSON array the map's ItemReader reads (one item per trial);
- ``results/TRIAL_ID.json``: each trial's full result, written by the worker (a Task's
  output is capped at 256 KB; a year of trades is not), which returns a small record;
- ``map/...``: the map's ResultWriter output (``manifest.json`` + ``SUCCEEDED_n.json``);
- ``summary.json``, ``results.csv``, ``report.html``: written by the reducer.

``worker``/``reduce`` take the event and an S3 client (the Lambdas pass boto3's; tests pass
moto's), so the handlers stay thin and the local stand-in runs the very same code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from llm_advisor.core.errors import UserError
from llm_advisor.sweep.data import DataSpec
from llm_advisor.sweep.metrics import Objective
from llm_advisor.sweep.report import render_report
from llm_advisor.sweep.space import Trial
from llm_advisor.sweep.summary import results_csv, summarize_sweep
from llm_advisor.sweep.trial import TrialResult, run_trial


def _get_json(s3: Any, bucket: str, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _put(s3: Any, bucket: str, key: str, body: str, content_type: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType=content_type)


def _required(event: Mapping[str, Any], name: str) -> Any:
    if name not in event:
        raise UserError(f"event.{name}: missing")
    return event[name]


def worker(event: Mapping[str, Any], s3: Any) -> dict[str, Any]:
    """One map item: run the trial, store its result, return a small record."""
    trial = Trial.from_json(_required(event, "trial"))
    data = DataSpec.from_json(_required(event, "data"))
    bucket = str(_required(event, "bucket"))
    key = f"{_required(event, 'prefix')}/results/{trial.trial_id}.json"
    r = run_trial(trial, data)
    _put(s3, bucket, key, json.dumps(r.to_json()), "application/json")
    return {
        "trial_id": r.trial_id,
        "key": key,
        "trades": r.n_trades,
        "pnl": r.pnl,
        "sharpe": r.sharpe,
        "seconds": r.seconds,
    }


def _map_outputs(s3: Any, details: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The worker records of the succeeded items and the count of failed ones, from the
    ResultWriter's manifest."""
    bucket = details["Bucket"]
    manifest = _get_json(s3, bucket, details["Key"])
    files = manifest.get("ResultFiles", {})
    records: list[dict[str, Any]] = []
    for f in files.get("SUCCEEDED", []):
        for item in _get_json(s3, bucket, f["Key"]):
            records.append(json.loads(item["Output"]))
    failed = sum(len(_get_json(s3, bucket, f["Key"])) for f in files.get("FAILED", []))
    return records, failed


def reduce(event: Mapping[str, Any], s3: Any, charts: bool = False) -> dict[str, Any]:
    """After the map: read every trial result, summarize, write summary/CSV/report."""
    bucket = str(_required(event, "bucket"))
    prefix = str(_required(event, "prefix"))
    details = _required(event, "map").get("ResultWriterDetails")
    if not details:
        raise UserError("event.map.ResultWriterDetails: missing (the map wrote no results)")
    records, failed = _map_outputs(s3, details)
    order = [t["trial_id"] for t in _get_json(s3, bucket, f"{prefix}/trials.json")]
    by_id = {r["trial_id"]: r for r in records}
    results = [
        TrialResult.from_json(_get_json(s3, bucket, by_id[t]["key"])) for t in order if t in by_id
    ]
    if not results:
        raise UserError(f"sweep {prefix}: no trial succeeded ({failed} failed)")
    o = event.get("objective") or {}
    objective = Objective(o.get("name", "sharpe"), o.get("max_drawdown_pct"))
    walk = event.get("walk_forward")
    meta = {**(event.get("meta") or {}), "failed_trials": failed}
    summary = summarize_sweep(results, objective, meta, tuple(walk) if walk else None)
    keys = {n: f"{prefix}/{n}" for n in ("summary.json", "results.csv", "report.html")}
    _put(s3, bucket, keys["summary.json"], json.dumps(summary), "application/json")
    _put(s3, bucket, keys["results.csv"], results_csv(summary), "text/csv")
    _put(s3, bucket, keys["report.html"], render_report(summary, charts), "text/html")
    return {
        "summary_key": keys["summary.json"],
        "report_key": keys["report.html"],
        "trials": len(results),
        "failed": failed,
        "best": (summary.get("best") or {}).get("trial_id"),
    }


def execution_input(
    sweep_id: str,
    bucket: str,
    prefix: str,
    data: DataSpec,
    objective: Objective,
    walk: tuple[int, int] | None,
    meta: Mapping[str, Any],
) -> dict[str, Any]:
    root = f"{prefix.strip('/')}/{sweep_id}"
    return {
        "sweep_id": sweep_id,
        "bucket": bucket,
        "prefix": root,
        "trials_key": f"{root}/trials.json",
        "map_prefix": f"{root}/map",
        "data": data.to_json(),
        "objective": {"name": objective.name, "max_drawdown_pct": objective.max_drawdown_pct},
        "walk_forward": list(walk) if walk else None,
        "meta": dict(meta),
    }


def run_stepfunctions(
    trials: Sequence[Trial],
    payload: Mapping[str, Any],
    state_machine_arn: str,
    sfn: Any,
    s3: Any,
    progress: Callable[[int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    poll_seconds: float = 5.0,
) -> dict[str, Any]:
    """Upload the trials, start the execution, follow it, return the reducer's summary."""
    bucket, root = payload["bucket"], payload["prefix"]
    _put(
        s3,
        bucket,
        payload["trials_key"],
        json.dumps([t.to_json() for t in trials]),
        "application/json",
    )
    arn = sfn.start_execution(
        stateMachineArn=state_machine_arn, name=payload["sweep_id"], input=json.dumps(payload)
    )["executionArn"]
    while True:
        ex = sfn.describe_execution(executionArn=arn)
        if progress is not None:
            done = _map_done(sfn, arn)
            if done is not None:
                progress(min(done, len(trials)), len(trials))
        if ex["status"] != "RUNNING":
            break
        sleep(poll_seconds)
    if ex["status"] != "SUCCEEDED":
        raise UserError(
            f"sweep execution {arn}: {ex['status']}: {ex.get('error', '')} {ex.get('cause', '')}"
        )
    if progress is not None:
        progress(len(trials), len(trials))
    out = json.loads(ex.get("output") or "{}")
    return dict(_get_json(s3, bucket, out.get("summary_key", f"{root}/summary.json")))


def _map_done(sfn: Any, execution_arn: str) -> int | None:
    """Items finished so far (succeeded + failed) of the execution's map run, if any."""
    runs = sfn.list_map_runs(executionArn=execution_arn).get("mapRuns", [])
    if not runs:
        return None
    counts = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])["itemCounts"]
    return int(counts.get("succeeded", 0)) + int(counts.get("failed", 0))
