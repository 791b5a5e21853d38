"""The scheduled Lambda through moto S3, and the export-rag command."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from llm_advisor.__main__ import main
from llm_advisor.aws.clients import reset_clients
from llm_advisor.storage import open_repository

from .seed import NVDA_SHORT_ID, seed_rag

ROOT = Path(__file__).resolve().parents[2]


class Ctx:
    function_name = "rag_export"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:rag_export"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fn_rag_export", ROOT / "functions/rag_export/app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path / 'advisor.sqlite3'}"
    repo = open_repository(url, migrate_schema=True)
    seed_rag(repo)
    repo.close()
    for k, v in {
        "ADVISOR_RUNTIME": "aws",
        "ADVISOR_ARCHIVE_BUCKET": "archive",
        "ADVISOR_AWS_REGION": "us-east-1",
        "ADVISOR_DB_URL": url,
        "ADVISOR_RAG_EMBEDDER": "hash",
        "ADVISOR_WATCHLIST": "NVDA,SPY",
    }.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        reset_clients()
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="archive")
        yield s3
        reset_clients()


def _objects(s3: Any) -> dict[str, bytes]:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="archive").get("Contents", [])]
    return {k: s3.get_object(Bucket="archive", Key=k)["Body"].read() for k in keys}


def test_handler_exports_the_session_after_the_close_idempotently(aws: Any) -> None:
    app = _handler()
    event = {"scheduled_time": "2024-03-05T21:30:00Z"}  # 16:30 New York, Tuesday
    first = app.lambda_handler(event, Ctx())
    objects = _objects(aws)
    assert first["date"] == "2024-03-05" and first["documents"] == 10
    assert first["embedder"] == "hash-fallback-v1" and first["embedded"] == 10
    assert f"rag/2024/03/2024-03-05/trade/live__{NVDA_SHORT_ID}.txt.metadata.json" in objects
    assert "rag-jsonl/2024/03/2024-03-05/documents.jsonl" in objects
    again = app.lambda_handler(event, Ctx())
    assert _objects(aws) == objects and again["unchanged"] == 10
    weekend = app.lambda_handler({"scheduled_time": "2024-03-09T21:30:00Z"}, Ctx())
    assert weekend["skipped"] == "no session"


def test_cli_exports_a_range_to_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    repo = open_repository(url, migrate_schema=True)
    seed_rag(repo)
    repo.close()
    out = tmp_path / "out"
    rc = main(["export-rag", "--db", url, "--out", str(out), "--start", "2024-03-04",
               "--end", "2024-03-08", "--embedder", "hash"])  # fmt: skip
    assert rc == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and lines[1].startswith("2024-03-05: 10 documents")
    assert (out / "rag-jsonl/2024/03/2024-03-08/documents.jsonl").is_file()
    from llm_advisor.rag.embedders import HashingEmbedder
    from llm_advisor.rag.retrieval import search

    repo = open_repository(url)
    try:
        assert search(repo, "NVDA short", k=3, embedder=HashingEmbedder())
    finally:
        repo.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2024-13-01"], "--date='2024-13-01': expected YYYY-MM-DD"),
        ([], "--date: required"),
        (["--start", "2024-03-08", "--end", "2024-03-04"], "--end='2024-03-04' is before"),
        (["--date", "2024-03-05", "--out", "s3://"], "--out='s3://'"),
    ],
)
def test_cli_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    rc = main(["export-rag", "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}", *args])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1
