"""SQS publisher of accepted trade plans (consumed by the trade executor).

A plan is published before the tick records anything or saves state, so a crash after this
point re-publishes the same plans on the retried minute: same ``client_order_id``, and the
executor places one order. On a FIFO queue the client_order_id is also the deduplication id.
"""

from __future__ import annotations

from collections.abc import Sequence

from llm_advisor.aws.clients import LazyClient
from llm_advisor.core.errors import RetryableError
from llm_advisor.core.models import TradePlan

BATCH = 10


class SqsPlanPublisher:
    def __init__(
        self, queue_url: str, region: str | None = None, *, endpoint_url: str | None = None
    ) -> None:
        if not queue_url:
            raise ValueError("queue_url='' : the signal queue URL is required")
        self.queue_url = queue_url
        self.fifo = queue_url.endswith(".fifo")
        self._client = LazyClient("sqs", region, endpoint_url)

    def publish(self, plans: Sequence[TradePlan]) -> int:
        """Send every plan (deduplicated by client_order_id within the call)."""
        unique = list({p.client_order_id: p for p in plans}.values())
        client = self._client.get()
        for i in range(0, len(unique), BATCH):
            entries = []
            for n, plan in enumerate(unique[i : i + BATCH]):
                entry = {
                    "Id": str(n),
                    "MessageBody": plan.model_dump_json(),
                    "MessageAttributes": {
                        "client_order_id": {
                            "DataType": "String",
                            "StringValue": plan.client_order_id,
                        }
                    },
                }
                if self.fifo:
                    entry["MessageGroupId"] = plan.symbol
                    entry["MessageDeduplicationId"] = plan.client_order_id[:128]
                entries.append(entry)
            resp = client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = resp.get("Failed") or []
            if failed:
                raise RetryableError(
                    f"SQS refused {len(failed)} plan(s): "
                    + "; ".join(f"{f.get('Code')}: {f.get('Message')}" for f in failed)
                )
        return len(unique)
