"""export_day: the S3/folder layout with Bedrock sidecars, documents per kind, idempotence."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from llm_advisor.rag.export import DirSink, export_day
from llm_advisor.storage import Repository

from .seed import NVDA_SHORT_ID, TUESDAY

NOW = datetime(2024, 3, 6, 21, 0, tzinfo=UTC)
FRIDAY = date(2024, 3, 8)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_layout_is_one_text_file_per_record_with_a_metadata_sidecar(
    sqlite_repo: Repository, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    result = export_day(sqlite_repo, TUESDAY, DirSink(out), hash_embedder, NOW)
    files = _files(out)
    texts = [k for k in files if k.endswith(".txt")]
    assert len(texts) == result.documents == 10
    for key in texts:
        assert key.startswith("rag/2024/03/2024-03-05/")
        sidecar = json.loads(files[key + ".metadata.json"])
        attrs = sidecar["metadataAttributes"]
        assert set(sidecar) == {"metadataAttributes"}
        assert attrs["date"] == "2024-03-05" and attrs["kind"] == key.split("/")[4]
        assert all(isinstance(v, str | int | float | bool) for v in attrs.values())
    trade_key = f"rag/2024/03/2024-03-05/trade/live__{NVDA_SHORT_ID}.txt"
    meta = json.loads(files[trade_key + ".metadata.json"])["metadataAttributes"]
    assert meta | {"symbol": "NVDA", "run_id": "live", "side": "short", "setup": "TC"} == meta
    lines = files["rag-jsonl/2024/03/2024-03-05/documents.jsonl"].decode().splitlines()
    assert len(lines) == 10
    assert {json.loads(line)["doc_id"] for line in lines} == {
        json.loads(files[k + ".metadata.json"])["metadataAttributes"]["doc_id"] for k in texts
    }


def test_documents_of_each_kind_carry_the_records(
    sqlite_repo: Repository, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    tue = export_day(sqlite_repo, TUESDAY, DirSink(tmp_path), hash_embedder, NOW)
    fri = export_day(sqlite_repo, FRIDAY, DirSink(tmp_path), hash_embedder, NOW)
    assert tue.by_kind == {"daily_bias": 1, "premarket": 1, "trade": 7, "daily_pnl": 1}
    assert fri.by_kind == {"daily_bias": 2, "market_analysis": 2, "trade": 6, "daily_pnl": 1}
    day = tmp_path / "rag/2024/03/2024-03-05"
    trade = (day / f"trade/live__{NVDA_SHORT_ID}.txt").read_text()
    for fragment in (
        "Trade NVDA short TC on Tuesday 2024-03-05",
        "entered 15:12 ET at 852.40",
        "by target",
        "P/L +50.40 USD",
        "signal z -2.71",
        "TC arm x0.90",
        "validation verdict approve by rules",
        "target buy 12 @ 848.20 at 15:31 ET",
    ):
        assert fragment in trade
    bias = (day / "daily_bias/-__2024-03-05_NVDA.txt").read_text()
    assert "bearish, confidence 61/100" in bias and "Chip export curbs" in bias
    assert "structure LL_LH" in (day / "premarket/-__2024-03-05_NVDA.txt").read_text()
    pnl = (day / "daily_pnl/live__2024-03-05.txt").read_text()
    assert "over 7 trades" in pnl
    analyses = sorted((tmp_path / "rag/2024/03/2024-03-08/market_analysis").glob("*.txt"))
    assert "Breadth strong" in analyses[1].read_text()
    assert "MR arm x1.20" in analyses[1].read_text()


def test_rerun_gives_identical_objects_and_rows(
    seeded: Repository, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    first = export_day(seeded, TUESDAY, DirSink(out), hash_embedder, NOW)
    before = _files(out)
    rows_before = _rows(seeded)
    later = datetime(2024, 3, 7, 21, 0, tzinfo=UTC)
    second = export_day(seeded, TUESDAY, DirSink(out), hash_embedder, later)
    assert _files(out) == before
    assert _rows(seeded) == rows_before  # unchanged docs are not rewritten (same updated_at)
    assert (first.embedded, second.embedded, second.unchanged) == (10, 0, 10)


def test_rerun_removes_what_the_records_no_longer_produce(
    sqlite_repo: Repository, tmp_path: Path, hash_embedder
) -> None:  # type: ignore[no-untyped-def]
    export_day(sqlite_repo, TUESDAY, DirSink(tmp_path), hash_embedder, NOW)
    with sqlite_repo.db.transaction() as cur:
        cur.execute("DELETE FROM trades WHERE client_order_id = ?", (NVDA_SHORT_ID,))
    sqlite_repo.rebuild_pnl_rollup()
    result = export_day(sqlite_repo, TUESDAY, DirSink(tmp_path), hash_embedder, NOW)
    assert result.deleted_rows == 1 and result.deleted_objects == 2
    assert not any(NVDA_SHORT_ID in k for k in _files(tmp_path) if k.startswith("rag/"))
    assert all(NVDA_SHORT_ID not in r[0] for r in _rows(sqlite_repo))


def _rows(repo: Repository) -> list[tuple[object, ...]]:
    with repo.db.transaction() as cur:
        cur.execute(
            "SELECT doc_id, text, embedding, embedder, dim, updated_at FROM rag_documents "
            "ORDER BY doc_id"
        )
        return [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in cur.fetchall()
        ]
