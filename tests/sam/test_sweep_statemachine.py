"""The sweep's Distributed Map in template.yaml + statemachine/sweep.asl.json: ItemReader
and ResultWriter on the sweep prefix, concurrency and tolerated failures from template
parameters, retries on Lambda throttling, and IAM limited to what each part needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]
from sam_support import FakeContext, event, load_handler

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    data: dict[str, Any] = cfn_yaml.load(str(ROOT / "template.yaml"))
    return data


@pytest.fixture(scope="module")
def asl() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "statemachine" / "sweep.asl.json").read_text())
    return data


def _statements(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [st for pol in props.get("Policies", []) for st in pol.get("Statement", [])]


def test_distributed_map_reads_trials_and_writes_results_on_s3(asl: dict[str, Any]) -> None:
    m = asl["States"]["RunTrials"]
    assert m["Type"] == "Map"
    assert m["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert m["ItemReader"]["ReaderConfig"]["InputType"] == "JSON"
    assert m["ItemReader"]["Parameters"] == {"Bucket": "${SweepBucket}", "Key.$": "$.trials_key"}
    assert m["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }
    assert m["ResultWriter"]["Resource"] == "arn:aws:states:::s3:putObject"
    assert m["ResultWriter"]["Parameters"]["Bucket"] == "${SweepBucket}"
    assert m["ItemSelector"]["trial.$"] == "$$.Map.Item.Value"
    assert set(m["ItemSelector"]) == {"trial.$", "data.$", "bucket", "prefix.$"}  # worker event
    assert m["Next"] == "Reduce" and m["ResultPath"] == "$.map"  # the reducer gets the manifest
    task = m["ItemProcessor"]["States"]["Trial"]
    assert task["Parameters"]["FunctionName"] == "${SweepWorkerFunctionArn}"
    retry = task["Retry"][0]
    assert "Lambda.TooManyRequestsException" in retry["ErrorEquals"]
    assert retry["MaxAttempts"] >= 3 and retry["BackoffRate"] >= 2
    assert asl["States"]["Reduce"]["Parameters"]["FunctionName"] == "${SweepReducerFunctionArn}"


def test_concurrency_and_tolerated_failures_come_from_template_parameters(
    asl: dict[str, Any], template: dict[str, Any]
) -> None:
    m = asl["States"]["RunTrials"]
    limits = asl["States"]["Limits"]["Parameters"]
    assert m["MaxConcurrencyPath"] == "$.limits.max_concurrency"
    assert m["ToleratedFailurePercentagePath"] == "$.limits.tolerated_failure_percentage"
    assert limits["max_concurrency.$"] == "States.StringToJson('${MaxConcurrency}')"
    sm = template["Resources"]["SweepStateMachine"]["Properties"]
    subs = sm["DefinitionSubstitutions"]
    assert subs["MaxConcurrency"] == {"Ref": "SweepMaxConcurrency"}
    assert subs["ToleratedFailurePercentage"] == {"Ref": "SweepToleratedFailurePercentage"}
    assert subs["SweepBucket"] == {"Ref": "ArchiveBucket"}
    assert sm["DefinitionUri"] == "statemachine/sweep.asl.json"
    params = template["Parameters"]
    assert params["SweepMaxConcurrency"]["Default"] == 100
    assert 0 <= params["SweepToleratedFailurePercentage"]["Default"] <= 10
    # every ${...} of the definition is substituted
    text = (ROOT / "statemachine" / "sweep.asl.json").read_text()
    import re

    assert set(re.findall(r"\$\{(\w+)\}", text)) == set(subs)


def test_state_machine_iam_is_what_the_map_needs_and_no_more(template: dict[str, Any]) -> None:
    sm = template["Resources"]["SweepStateMachine"]["Properties"]
    invoked = [
        p["LambdaInvokePolicy"]["FunctionName"] for p in sm["Policies"] if "LambdaInvokePolicy" in p
    ]
    assert invoked == [{"Ref": "SweepWorkerFunction"}, {"Ref": "SweepReducerFunction"}]
    sts = {st["Sid"]: st for st in _statements(sm)}
    s3 = sts["ReadTrialsWriteResults"]
    assert "s3:GetObject" in s3["Action"] and "s3:PutObject" in s3["Action"]
    assert s3["Resource"] == {"Fn::Sub": "${ArchiveBucket.Arn}/sweeps/*"}
    start = sts["DistributedMapChildExecutions"]
    assert start["Action"] == "states:StartExecution"
    name = sm["Name"]["Fn::Sub"]
    assert start["Resource"]["Fn::Sub"].endswith(f":stateMachine:{name}")
    assert sts["DistributedMapChildExecutionControl"]["Resource"]["Fn::Sub"].endswith(
        f":execution:{name}/*"
    )


def test_worker_and_reducer_reach_only_their_prefixes(template: dict[str, Any]) -> None:
    worker = template["Resources"]["SweepWorkerFunction"]["Properties"]
    sts = {st["Sid"]: st for st in _statements(worker)}
    assert sts["ReadBarStore"]["Resource"] == {
        "Fn::Sub": "${ArchiveBucket.Arn}/${SweepDataPrefix}/*"
    }
    assert sts["ListBarStore"]["Condition"]["StringLike"]["s3:prefix"] == {
        "Fn::Sub": "${SweepDataPrefix}/*"
    }
    assert sts["WriteTrialResults"]["Resource"] == {"Fn::Sub": "${ArchiveBucket.Arn}/sweeps/*"}
    assert worker["Timeout"] == 900
    assert worker["MemorySize"] == {"Ref": "SweepWorkerMemory"}
    reducer = template["Resources"]["SweepReducerFunction"]["Properties"]
    (st,) = _statements(reducer)
    assert st["Resource"] == {"Fn::Sub": "${ArchiveBucket.Arn}/sweeps/*"}
    assert template["Outputs"]["SweepStateMachineArn"]["Value"] == {"Ref": "SweepStateMachine"}


def test_sample_events_run_the_handlers(aws_env: dict[str, str], tmp_path: Path) -> None:
    """events/sweep_worker.json and sweep_reducer.json against moto S3 seeded like
    `make invoke` seeds it."""
    import boto3

    from llm_advisor.sweep.local_map import seed_invoke_store

    s3 = boto3.client("s3", region_name="us-east-1")
    seed_invoke_store(s3, event("sweep_worker"), tmp_path)
    out = load_handler("sweep_worker").lambda_handler(event("sweep_worker"), FakeContext())
    assert out["trial_id"] == event("sweep_worker")["trial"]["trial_id"]
    seed_invoke_store(s3, event("sweep_reducer"), tmp_path)
    out = load_handler("sweep_reducer").lambda_handler(event("sweep_reducer"), FakeContext())
    assert out["trials"] == 2 and out["failed"] == 0
