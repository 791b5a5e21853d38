"""A local stand-in for the sweep's Distributed Map (no AWS): tests and ``make invoke``.

``run_map`` does what the state machine does with the same S3 objects: read
``trials.json``, call the worker once per item with the ItemSelector's event, and write the
ResultWriter's ``manifest.json`` + ``SUCCEEDED_0.json`` / ``FAILED_0.json`` in the format
Step Functions uses (each entry's ``Output`` is the worker's JSON as a string). The
reducer then reads them exactly as it does in AWS. ``FakeStepFunctions`` answers the three
calls ``run_stepfunctions`` makes, running the map and the reducer on ``start_execution``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from llm_advisor.sweep.stepfunctions import reduce, worker


def run_map(payload: Mapping[str, Any], s3: Any, map_run: str = "local") -> dict[str, Any]:
    """The map state's output (``$.map``): the ResultWriter's manifest location."""
    bucket = payload["bucket"]
    items = json.loads(s3.get_object(Bucket=bucket, Key=payload["trials_key"])["Body"].read())
    done: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": []}
    for item in items:
        event = {
            "trial": item,
            "data": payload["data"],
            "bucket": bucket,
            "prefix": payload["prefix"],
        }
        entry: dict[str, Any] = {"Input": json.dumps(event), "Status": "SUCCEEDED"}
        try:
            entry["Output"] = json.dumps(worker(event, s3))
        except Exception as exc:  # a failed item, as the map records it
            entry.update(Status="FAILED", Error=type(exc).__name__, Cause=str(exc))
        done[entry["Status"]].append(entry)
    root = f"{payload['map_prefix']}/{map_run}"
    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status, entries in done.items():
        if entries:
            key = f"{root}/{status}_0.json"
            body = json.dumps(entries).encode()
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            files[status].append({"Key": key, "Size": len(body)})
    manifest = {
        "DestinationBucket": bucket,
        "MapRunArn": f"arn:local:{map_run}",
        "ResultFiles": files,
    }
    s3.put_object(Bucket=bucket, Key=f"{root}/manifest.json", Body=json.dumps(manifest).encode())
    return {
        "MapRunArn": f"arn:local:{map_run}",
        "ResultWriterDetails": {"Bucket": bucket, "Key": f"{root}/manifest.json"},
    }


class FakeStepFunctions:
    """``start_execution`` / ``describe_execution`` / ``list_map_runs`` / ``describe_map_run``
    over ``run_map`` + ``reduce``: the execution finishes inside ``start_execution``."""

    def __init__(self, s3: Any) -> None:
        self.s3 = s3
        self.executions: dict[str, dict[str, Any]] = {}

    def start_execution(
        self,
        stateMachineArn: str,  # noqa: N803 - boto3's keyword names
        name: str,
        input: str,
    ) -> dict[str, str]:
        payload = json.loads(input)
        arn = f"{stateMachineArn}:{name}"
        state = {**payload, "map": run_map(payload, self.s3)}
        try:
            out = reduce(state, self.s3)
            self.executions[arn] = {"status": "SUCCEEDED", "output": json.dumps(out)}
        except Exception as exc:
            self.executions[arn] = {
                "status": "FAILED",
                "error": type(exc).__name__,
                "cause": str(exc),
            }
        self.executions[arn]["items"] = len(
            json.loads(
                self.s3.get_object(Bucket=payload["bucket"], Key=payload["trials_key"])[
                    "Body"
                ].read()
            )
        )
        return {"executionArn": arn}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:  # noqa: N803
        return dict(self.executions[executionArn])

    def list_map_runs(self, executionArn: str) -> dict[str, Any]:  # noqa: N803
        return {"mapRuns": [{"mapRunArn": executionArn + "/map"}]}

    def describe_map_run(self, mapRunArn: str) -> dict[str, Any]:  # noqa: N803
        n = self.executions[mapRunArn.removesuffix("/map")]["items"]
        return {"itemCounts": {"succeeded": n, "failed": 0, "total": n}}


def synthetic_store(
    directory: Path, symbols: list[str], start: date, sessions: int, seed: int = 7
) -> tuple[date, date]:
    """Write a synthetic market (with 40 sessions of history) as bar files into
    ``directory``; returns the first and last replay session."""
    from llm_advisor.data.barfiles import write_bar_file
    from llm_advisor.replay.inputs import synthetic

    inp = synthetic(symbols, start, sessions, seed=seed)
    directory.mkdir(parents=True, exist_ok=True)
    for sym, df in inp.bars.items():
        write_bar_file(df, directory / f"{sym}.csv.gz")
    return inp.start, inp.end


def seed_invoke_store(s3: Any, event: Mapping[str, Any], tmp: Path) -> None:
    """What a sample event (``events/sweep_*.json``) expects on S3, on a moto S3: the bar
    store of its ``data`` (synthetic bars for its symbols and dates) and, for the reducer's
    event (it has ``map``), two trials run through ``run_map`` so the manifest exists."""
    from llm_advisor.core.calendar import sessions_between
    from llm_advisor.sweep.data import DataSpec, split_s3, upload_store

    data = DataSpec.from_json(event["data"])
    bucket, prefix = split_s3(data.bars)
    days = sessions_between(data.start, data.end)
    synthetic_store(tmp / "bars", list(data.symbols), data.start, len(days))
    upload_store(tmp / "bars", bucket, prefix, s3)
    if "map" not in event:
        return
    trials = [{"trial_id": f"t{v}", "settings": {"mr_arm_z": v}} for v in ("1.0", "1.4")]
    s3.put_object(Bucket=event["bucket"], Key=event["trials_key"], Body=json.dumps(trials).encode())
    manifest = event["map"]["ResultWriterDetails"]["Key"]
    run_map(event, s3, map_run=manifest.removeprefix(event["map_prefix"] + "/").split("/")[0])
