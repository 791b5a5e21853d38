"""DynamoDB adapter of ``StateStorePort``: versioned blobs with a conditional write.

The live tick saves the engine state once per minute; the condition on ``version`` is what
makes an overlapping or retried invocation harmless: its save fails with ``ConflictError``
instead of overwriting newer state. Items expire through the table's TTL attribute so old
sessions' blobs don't accumulate.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from llm_advisor.aws.clients import LazyClient
from llm_advisor.core.clock import Clock, SystemClock
from llm_advisor.core.errors import ConflictError, RetryableError

MAX_ITEM_BYTES = 400 * 1024 - 1024  # DynamoDB's item limit minus room for the other attributes


class DynamoStateStore:
    """Items ``{pk: key, blob: B, version: N, ttl: N}`` in one on-demand table."""

    def __init__(
        self,
        table: str,
        region: str | None = None,
        *,
        endpoint_url: str | None = None,
        ttl: timedelta = timedelta(days=7),
        clock: Clock | None = None,
    ) -> None:
        if not table:
            raise ValueError("table='' : the DynamoDB state table name is required")
        self.table = table
        self._client = LazyClient("dynamodb", region, endpoint_url)
        self._ttl = ttl
        self._clock: Clock = clock or SystemClock()

    def load(self, key: str) -> tuple[bytes, int] | None:
        resp = self._client.get().get_item(
            TableName=self.table, Key={"pk": {"S": key}}, ConsistentRead=True
        )
        item = resp.get("Item")
        if item is None:
            return None
        return bytes(item["blob"]["B"]), int(item["version"]["N"])

    def save(self, key: str, blob: bytes, expected_version: int | None) -> int:
        if len(blob) > MAX_ITEM_BYTES:
            raise ValueError(
                f"state {key!r} is {len(blob)} bytes; DynamoDB items are limited to "
                f"{MAX_ITEM_BYTES} (compress it or split the watchlist)"
            )
        new_version = 1 if expected_version is None else expected_version + 1
        expires = int((self._clock.now() + self._ttl).timestamp())
        item: dict[str, Any] = {
            "pk": {"S": key},
            "blob": {"B": blob},
            "version": {"N": str(new_version)},
            "ttl": {"N": str(expires)},
        }
        kwargs: dict[str, Any] = {"TableName": self.table, "Item": item}
        if expected_version is None:
            kwargs["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            kwargs["ConditionExpression"] = "version = :v"
            kwargs["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
        client = self._client.get()
        try:
            client.put_item(**kwargs)
        except client.exceptions.ConditionalCheckFailedException:
            raise ConflictError(
                f"state {key!r}: expected version {expected_version}, but another writer changed it"
            ) from None
        except client.exceptions.ProvisionedThroughputExceededException as exc:
            raise RetryableError(f"state {key!r}: throttled ({exc})") from exc
        return new_version
