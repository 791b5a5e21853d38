"""Local adapters of the state store, object store and plan queue.

They pass the same contract suites as the DynamoDB, S3 and SQS adapters, so the CLI, the
paper loop and tests behave like the deployment without AWS.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from llm_advisor.core.errors import ConflictError, DataError
from llm_advisor.core.models import TradePlan

_SAFE = re.compile(r"[^A-Za-z0-9._\-]")


class MemoryStateStore:
    """Versioned blobs in a dict (one process)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[bytes, int]] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> tuple[bytes, int] | None:
        return self._items.get(key)

    def save(self, key: str, blob: bytes, expected_version: int | None) -> int:
        with self._lock:
            current = self._items.get(key)
            found = None if current is None else current[1]
            if found != expected_version:
                raise ConflictError(
                    f"state {key!r}: expected version {expected_version}, found {found}"
                )
            version = 1 if expected_version is None else expected_version + 1
            self._items[key] = (bytes(blob), version)
            return version


class FileStateStore:
    """Versioned blobs as files ``<key>.<version>`` in a folder.

    The version is part of the file name and a new version is created with ``O_EXCL``, so
    two processes racing to write the same version cannot both win (the loser gets
    ``ConflictError``), like DynamoDB's conditional write."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _stem(self, key: str) -> str:
        return _SAFE.sub("_", key)

    def _versions(self, key: str) -> list[int]:
        stem = self._stem(key)
        out = []
        for p in self.root.glob(f"{stem}.v*"):
            suffix = p.name[len(stem) + 2 :]
            if suffix.isdigit():
                out.append(int(suffix))
        return sorted(out)

    def load(self, key: str) -> tuple[bytes, int] | None:
        versions = self._versions(key)
        if not versions:
            return None
        v = versions[-1]
        return (self.root / f"{self._stem(key)}.v{v}").read_bytes(), v

    def save(self, key: str, blob: bytes, expected_version: int | None) -> int:
        versions = self._versions(key)
        found = versions[-1] if versions else None
        if found != expected_version:
            raise ConflictError(
                f"state {key!r}: expected version {expected_version}, found {found}"
            )
        version = 1 if expected_version is None else expected_version + 1
        path = self.root / f"{self._stem(key)}.v{version}"
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            try:
                os.link(tmp, path)  # atomic create-if-absent of the complete file
            except FileExistsError:
                raise ConflictError(
                    f"state {key!r}: version {version} was written by another writer"
                ) from None
        finally:
            os.unlink(tmp)
        for old in versions[:-1]:  # keep the previous version only
            (self.root / f"{self._stem(key)}.v{old}").unlink(missing_ok=True)
        return version


class FolderObjectStore:
    """Objects as files under a folder; keys are relative paths (no ``..``)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        parts = [p for p in key.split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise DataError(f"object key={key!r} is not a relative path")
        return self.root.joinpath(*parts)

    def put(self, key: str, body: bytes, content_type: str = "application/json") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(path)

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None


class MemoryPlanQueue:
    """Collects published plans (the paper loop hands them straight to the executor)."""

    def __init__(self) -> None:
        self.plans: list[TradePlan] = []

    def publish(self, plans: Sequence[TradePlan]) -> int:
        unique = list({p.client_order_id: p for p in plans}.values())
        self.plans.extend(unique)
        return len(unique)

    def drain(self) -> list[TradePlan]:
        out, self.plans = self.plans, []
        return out
