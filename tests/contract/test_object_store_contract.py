"""One contract for every ObjectStorePort adapter: S3 (moto), the local folders (the
local deployment's archive and ``premarket --archive-dir``), and the in-memory double."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from llm_advisor.aws.clients import reset_clients
from llm_advisor.aws.object_store import S3ObjectStore
from llm_advisor.core.ports import ObjectStorePort
from llm_advisor.local.stores import FolderObjectStore

KEY = "2024/01/2024-01-02/premarket_context.json"


class MemoryObjectStore:
    """Test double: objects in a dict (no product path wants an archive that vanishes)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str = "application/json") -> None:
        self.objects[key] = bytes(body)

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)


@pytest.fixture(params=["s3", "folder", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStorePort]:
    if request.param == "folder":
        yield FolderObjectStore(tmp_path / "archive")
    elif request.param == "memory":
        yield MemoryObjectStore()
    else:
        with mock_aws():
            reset_clients()
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="archive")
            s3.put_bucket_versioning(
                Bucket="archive", VersioningConfiguration={"Status": "Enabled"}
            )
            yield S3ObjectStore("archive", region="us-east-1")
            reset_clients()


def test_missing_key_reads_none(store: ObjectStorePort) -> None:
    assert store.get(KEY) is None


def test_put_then_get_round_trips_bytes(store: ObjectStorePort) -> None:
    body = b'{"date": "2024-01-02"}\n' + bytes(range(256))
    store.put(KEY, body)
    assert store.get(KEY) == body


def test_put_replaces_the_previous_body(store: ObjectStorePort) -> None:
    store.put(KEY, b"first")
    store.put(KEY, b"second")
    assert store.get(KEY) == b"second"


def test_keys_with_a_common_prefix_are_distinct(store: ObjectStorePort) -> None:
    store.put("2024/01/a.json", b"a")
    store.put("2024/01/a.json.bak", b"b")
    assert store.get("2024/01/a.json") == b"a"
    assert store.get("2024/01/a.json.bak") == b"b"
    assert store.get("2024/01") is None
