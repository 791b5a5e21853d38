"""Export a day's documents for retrieval (plan 7.2): S3 (or a folder) plus ``rag_documents``.

Layout, one document per file, because a Bedrock Knowledge Base S3 data source attaches a
``<file>.metadata.json`` sidecar's ``metadataAttributes`` to the *whole* file: only one
record per file keeps per-record filters (symbol, kind, run, setup, ...) exact::

    rag/{YYYY}/{MM}/{YYYY-MM-DD}/{kind}/{run or -}__{record}.txt
    rag/{YYYY}/{MM}/{YYYY-MM-DD}/{kind}/{run or -}__{record}.txt.metadata.json
    rag-jsonl/{YYYY}/{MM}/{YYYY-MM-DD}/documents.jsonl      (one JSON line per document)

The JSON-lines copy sits outside ``rag/`` because the Knowledge Base would try to ingest
it as a document (JSON lines is not one of its formats). Keys and bytes depend only on the
records, so a rerun overwrites the same objects with identical bytes, and objects of the
exported scope that the records no longer produce are deleted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from llm_advisor.rag.builders import day_documents, runs_of_day
from llm_advisor.rag.documents import SHARED_RUN, RagDocument
from llm_advisor.rag.embedding import Embedder
from llm_advisor.rag.store import save_day
from llm_advisor.storage import codec as c

DOCS_PREFIX = "rag"
JSONL_PREFIX = "rag-jsonl"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class Sink(Protocol):
    """Where export objects go: a folder or an S3 bucket."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def keys(self, prefix: str) -> list[str]: ...

    def delete(self, keys: list[str]) -> None: ...


class DirSink:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    def keys(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.exists():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)


class S3Sink:
    def __init__(self, bucket: str, client: Any) -> None:
        if not bucket:
            raise ValueError("bucket='': the archive bucket name is required")
        self.bucket = bucket
        self._client = client

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def keys(self, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            out.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(out)

    def delete(self, keys: list[str]) -> None:
        for i in range(0, len(keys), 1000):
            chunk = [{"Key": k} for k in keys[i : i + 1000]]
            self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk})


@dataclass(frozen=True)
class ExportResult:
    day: date
    runs: list[str]
    documents: int
    by_kind: dict[str, int]
    keys: list[str] = field(repr=False)
    embedded: int = 0
    unchanged: int = 0
    deleted_rows: int = 0
    deleted_objects: int = 0
    embedder: str = ""

    def line(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.by_kind.items())) or "none"
        return (
            f"{self.day.isoformat()}: {self.documents} documents ({kinds}); runs "
            f"{', '.join(self.runs) or 'none'}; embedded {self.embedded} with {self.embedder}, "
            f"{self.unchanged} unchanged, {self.deleted_rows} stale rows and "
            f"{self.deleted_objects} stale objects removed"
        )


def day_prefix(day: date, root: str = DOCS_PREFIX) -> str:
    return f"{root}/{day.year:04d}/{day.month:02d}/{day.isoformat()}/"


def doc_key(doc: RagDocument) -> str:
    name = f"{doc.run_id or SHARED_RUN}__{_UNSAFE.sub('_', doc.record_id)}"
    return f"{day_prefix(doc.date)}{doc.kind}/{name}.txt"


def _dumps(obj: Any) -> bytes:
    return (json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))).encode()


def _in_scope(key: str, run_id: str | None) -> bool:
    if run_id is None:
        return True
    name = key.rsplit("/", 1)[-1]
    return name.startswith((f"{run_id}__", f"{SHARED_RUN}__"))


def export_day(
    db: Any,
    day: date,
    sink: Sink | None,
    embedder: Embedder | None,
    now: datetime,
    run_id: str | None = None,
) -> ExportResult:
    """Write the day's documents to ``sink`` and (re)embed them into ``rag_documents``.

    ``run_id`` limits the export to that run's documents plus the shared per-day ones;
    without it every run with records that day is exported. ``sink=None`` skips the
    objects, ``embedder=None`` skips the table.
    """
    day = c.day(day, "date")
    runs = [run_id] if run_id is not None else runs_of_day(db, day)
    docs = day_documents(db, day, runs)
    keys: list[str] = []
    deleted_objects = 0
    if sink is not None:
        for doc in docs:
            key = doc_key(doc)
            sink.put(key, (doc.text + "\n").encode("utf-8"), "text/plain; charset=utf-8")
            sidecar = _dumps({"metadataAttributes": doc.metadata()})
            sink.put(key + ".metadata.json", sidecar, "application/json")
            keys += [key, key + ".metadata.json"]
        lines = [_dumps({**doc.metadata(), "text": doc.text}).decode("utf-8") for doc in docs]
        jsonl_key = day_prefix(day, JSONL_PREFIX) + (
            "documents.jsonl" if run_id is None else f"documents-{_UNSAFE.sub('_', run_id)}.jsonl"
        )
        sink.put(jsonl_key, ("\n".join(lines) + "\n").encode("utf-8"), "application/x-ndjson")
        keys.append(jsonl_key)
        written = set(keys)
        stale = [k for k in sink.keys(day_prefix(day)) if k not in written and _in_scope(k, run_id)]
        sink.delete(stale)
        deleted_objects = len(stale)
    saved = None
    if embedder is not None:
        saved = save_day(db, day, docs, embedder, now, run_id=run_id)
    return ExportResult(
        day=day,
        runs=runs,
        documents=len(docs),
        by_kind=dict(Counter(d.kind for d in docs)),
        keys=keys,
        embedded=saved.embedded if saved else 0,
        unchanged=saved.unchanged if saved else 0,
        deleted_rows=saved.deleted if saved else 0,
        deleted_objects=deleted_objects,
        embedder=embedder.name if embedder is not None else "none",
    )
