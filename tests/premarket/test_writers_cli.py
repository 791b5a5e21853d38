"""Writers (file, object store, repository) and the two CLI commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.__main__ import main
from llm_advisor.local.stores import FolderObjectStore
from llm_advisor.premarket.context import load_premarket_context
from llm_advisor.premarket.pipeline import build_premarket_context
from llm_advisor.premarket.writers import (
    PremarketRepository,
    context_path,
    object_key,
    put_context,
    save_context,
    write_context_file,
)

DAY = date(2026, 3, 16)


class FakeRepo:
    """Upsert by (date, symbol), like the storage repository."""

    def __init__(self) -> None:
        self.bias: dict[tuple[str, str], dict[str, Any]] = {}
        self.snaps: dict[tuple[str, str], dict[str, Any]] = {}

    def save_daily_bias(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            self.bias[(str(r["date"]), r["symbol"])] = r

    def save_premarket_snapshots(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            self.snaps[(r["session_date"], r["symbol"])] = r

    def delete_premarket_day(self, day: date) -> None:
        self.bias = {k: v for k, v in self.bias.items() if k[0] != str(day)}
        self.snaps = {k: v for k, v in self.snaps.items() if k[0] != day.isoformat()}


@pytest.fixture(scope="module")
def ctx(real_bars, real_daily, real_news, model):
    return build_premarket_context(
        DAY, ["SPY", "QQQ", "NVDA"], real_bars, real_daily, real_news, model
    )


def test_paths_and_keys():
    assert context_path(Path("data"), DAY) == Path(
        "data/daily_news/2026-03-16/processed/premarket_context.json"
    )
    assert object_key(date(2026, 3, 5)) == "2026/03/2026-03-05/premarket_context.json"


def test_file_and_object_store_round_trip(ctx, tmp_path: Path):
    p = write_context_file(ctx, tmp_path)
    assert load_premarket_context(p) == ctx
    store = FolderObjectStore(tmp_path / "archive")
    key = put_context(store, ctx)
    assert key == "2026/03/2026-03-16/premarket_context.json"
    assert load_premarket_context(store.get(key) or b"") == ctx
    from llm_advisor.core.errors import DataError

    with pytest.raises(DataError, match="not a relative path"):
        store.put("../x", b"")


def test_s3_object_store_under_moto(ctx):
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")

    class S3Store:
        def __init__(self, bucket: str) -> None:
            self.c = boto3.client("s3", region_name="us-east-1")
            self.bucket = bucket

        def put(self, key: str, body: bytes, content_type: str = "application/json") -> None:
            self.c.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

        def get(self, key: str) -> bytes | None:
            return bytes(self.c.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    with moto.mock_aws():
        store = S3Store("archive")
        store.c.create_bucket(Bucket="archive")
        key = put_context(store, ctx)
        assert load_premarket_context(store.get(key) or b"") == ctx


def test_rerun_replaces_the_days_rows(ctx):
    repo = FakeRepo()
    assert isinstance(repo, PremarketRepository)
    assert save_context(repo, ctx) == (3, 3)
    assert save_context(repo, ctx) == (3, 3)
    assert len(repo.bias) == 3 and len(repo.snaps) == 3
    smaller = ctx.model_copy(update={"symbols": {"SPY": ctx.symbols["SPY"]}})
    save_context(repo, smaller)
    assert sorted(k[1] for k in repo.bias) == ["SPY"]
    row = repo.bias[("2026-03-16", "SPY")]
    assert row["bias"] == ctx.symbols["SPY"].bias.bias
    assert row["htf_bias"] == ctx.symbols["SPY"].snapshot.htf_bias


def test_bad_context_documents_name_the_problem(tmp_path: Path):
    from llm_advisor.core.errors import DataError

    with pytest.raises(DataError, match="not JSON"):
        load_premarket_context(b"{")
    with pytest.raises(DataError, match="schema_version"):
        load_premarket_context(b'{"schema_version": 99}')
    with pytest.raises(DataError, match="No such file"):
        load_premarket_context(tmp_path / "nope.json")


def test_cli_weekend_and_holiday_write_nothing(tmp_path: Path, capsys):
    for d, word in (("2026-03-14", "weekend"), ("2026-04-03", "holiday")):
        assert main(["premarket", "--date", d, "--out-dir", str(tmp_path)]) == 0
        assert word in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_cli_bad_date_is_a_user_error(capsys):
    assert main(["premarket", "--date", "2026-02-30"]) == 2
    assert "--date='2026-02-30'" in capsys.readouterr().err


def test_cli_writes_context_and_reports_exclusions(shared_data: Path, tmp_path: Path, capsys):
    args = [
        "premarket",
        "--date",
        "2026-03-16",
        "--bars-dir",
        str(shared_data / "bars_1m"),
        "--daily-dir",
        str(shared_data / "daily"),
        "--news-file",
        str(shared_data / "news" / "headlines.csv.gz"),
        "--out-dir",
        str(tmp_path / "data"),
        "--archive-dir",
        str(tmp_path / "s3"),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "IWM    excluded: no 1-minute bar file" in out
    assert "TSLA   excluded" in out
    path = tmp_path / "data/daily_news/2026-03-16/processed/premarket_context.json"
    first = path.read_bytes()
    doc = json.loads(first)
    assert sorted(doc["symbols"]) == ["NVDA", "QQQ", "SPY"]
    assert sorted(doc["excluded"]) == ["IWM", "TSLA"]
    assert (tmp_path / "s3/2026/03/2026-03-16/premarket_context.json").read_bytes() == first
    assert main(args) == 0  # rerun: same document, replaced in place
    assert path.read_bytes() == first
    assert len(list(path.parent.iterdir())) == 1


def test_cli_db_rerun_keeps_one_row_per_symbol(shared_data: Path, tmp_path: Path):
    storage = pytest.importorskip("llm_advisor.storage")
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    args = [
        "premarket",
        "--date",
        "2026-03-16",
        "--bars-dir",
        str(shared_data / "bars_1m"),
        "--daily-dir",
        str(shared_data / "daily"),
        "--out-dir",
        str(tmp_path / "data"),
        "--symbols",
        "SPY",
        "NVDA",
        "--db",
        url,
    ]
    assert main(args) == 0
    assert main(args) == 0
    repo = storage.open_repository(url)
    rows = repo.daily_bias(DAY)
    assert sorted(r.symbol for r in rows) == ["NVDA", "SPY"]
    snaps = repo.get_premarket_snapshots(DAY)
    assert sorted(snaps) == ["NVDA", "SPY"]
