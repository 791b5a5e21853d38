"""template.yaml: the export runs after the close in New York time, may call only Titan
embeddings and write only under rag/; the Knowledge Base exists only when asked for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
KB = ("RagVectorBucket", "RagVectorIndex", "RagKnowledgeBaseRole", "RagKnowledgeBase")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    data: dict[str, Any] = cfn_yaml.load(str(ROOT / "template.yaml"))
    return data


def test_export_runs_at_16_30_new_york_on_weekdays(template: dict[str, Any]) -> None:
    fn = template["Resources"]["RagExportFunction"]["Properties"]
    assert fn["CodeUri"] == "functions/rag_export/"
    (event,) = fn["Events"].values()
    p = event["Properties"]
    assert event["Type"] == "ScheduleV2"
    assert p["ScheduleExpression"] == "cron(30 16 ? * MON-FRI *)"
    assert p["ScheduleExpressionTimezone"] == "America/New_York"
    assert json.loads(p["Input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}
    assert fn["Environment"]["Variables"]["ADVISOR_RAG_EMBEDDER"] == "titan"
    assert (ROOT / "events/rag_export.json").is_file()


def test_export_may_call_only_titan_and_write_only_rag_keys(template: dict[str, Any]) -> None:
    fn = template["Resources"]["RagExportFunction"]["Properties"]
    (policy,) = fn["Policies"]
    for st in policy["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        text = json.dumps(st["Resource"])
        if any(a.startswith("bedrock:") for a in actions):
            assert actions == ["bedrock:InvokeModel"]
            assert "foundation-model/amazon.titan-embed-text-v2:0" in text
        if any(a in ("s3:PutObject", "s3:DeleteObject") for a in actions):
            assert "/rag/*" in text and "/rag-jsonl/*" in text and '"*"' not in text


def test_knowledge_base_is_optional_and_reads_the_export(template: dict[str, Any]) -> None:
    assert template["Parameters"]["CreateKnowledgeBase"]["Default"] == "false"
    res = template["Resources"]
    for name in (*KB, "RagDataSource"):
        assert res[name]["Condition"] == "CreateKnowledgeBase", name
    s3 = res["RagDataSource"]["Properties"]["DataSourceConfiguration"]["S3Configuration"]
    assert s3["InclusionPrefixes"] == ["rag/"]
    index = res["RagVectorIndex"]["Properties"]
    assert (index["Dimension"], index["DistanceMetric"]) == (1024, "cosine")
    kb = res["RagKnowledgeBase"]["Properties"]["KnowledgeBaseConfiguration"]
    arn = json.dumps(kb["VectorKnowledgeBaseConfiguration"]["EmbeddingModelArn"])
    assert "amazon.titan-embed-text-v2:0" in arn
