"""One contract for every StateStorePort adapter: DynamoDB (moto), memory and files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from llm_advisor.aws.clients import reset_clients
from llm_advisor.aws.state_store import DynamoStateStore
from llm_advisor.core.errors import ConflictError
from llm_advisor.core.ports import StateStorePort
from llm_advisor.local.stores import FileStateStore, MemoryStateStore


@pytest.fixture(params=["dynamodb", "memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStorePort]:
    if request.param == "memory":
        yield MemoryStateStore()
    elif request.param == "file":
        yield FileStateStore(tmp_path / "state")
    else:
        with mock_aws():
            reset_clients()
            boto3.client("dynamodb", region_name="us-east-1").create_table(
                TableName="state",
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            )
            yield DynamoStateStore("state", "us-east-1")
            reset_clients()


def test_missing_key_loads_none(store: StateStorePort) -> None:
    assert store.load("engine#2024-01-02") is None


def test_first_save_needs_no_version_and_round_trips(store: StateStorePort) -> None:
    blob = bytes(range(256)) * 3
    assert store.save("k", blob, None) == 1
    assert store.load("k") == (blob, 1)


def test_versions_increase_by_one(store: StateStorePort) -> None:
    v = store.save("k", b"a", None)
    v = store.save("k", b"b", v)
    v = store.save("k", b"c", v)
    assert v == 3
    assert store.load("k") == (b"c", 3)


def test_creating_an_existing_key_conflicts(store: StateStorePort) -> None:
    store.save("k", b"a", None)
    with pytest.raises(ConflictError):
        store.save("k", b"other", None)
    assert store.load("k") == (b"a", 1)


def test_stale_version_conflicts_and_keeps_newer_state(store: StateStorePort) -> None:
    """Two invocations load version 1; the first saves; the second must not overwrite."""
    v1 = store.save("k", b"v1", None)
    assert store.save("k", b"first", v1) == 2
    with pytest.raises(ConflictError):
        store.save("k", b"second", v1)
    assert store.load("k") == (b"first", 2)


def test_update_of_a_missing_key_conflicts(store: StateStorePort) -> None:
    with pytest.raises(ConflictError):
        store.save("absent", b"x", 4)
    assert store.load("absent") is None


def test_keys_are_independent(store: StateStorePort) -> None:
    store.save("engine#2024-01-02", b"a", None)
    store.save("advice#2024-01-02", b"b", None)
    assert store.load("engine#2024-01-02") == (b"a", 1)
    assert store.load("advice#2024-01-02") == (b"b", 1)
