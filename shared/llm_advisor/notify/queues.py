"""Queue depths for the status strip and the DLQ alert: SQS's approximate counts.

The position monitor reads them once a minute (it runs in AWS anyway), so the API never
calls SQS. Approximate is enough: a plan in the DLQ stays there until someone redrives it.
"""

from __future__ import annotations

from dataclasses import dataclass

from llm_advisor.aws.clients import LazyClient


@dataclass(frozen=True)
class QueueDepths:
    queue: int | None  # None: not configured or not readable
    dlq: int | None


class SqsDepthReader:
    def __init__(
        self, queue_url: str, dlq_url: str, region: str | None, endpoint_url: str | None = None
    ) -> None:
        self.queue_url = queue_url
        self.dlq_url = dlq_url
        self._client = LazyClient("sqs", region, endpoint_url)

    def _depth(self, url: str) -> int | None:
        if not url:
            return None
        got = self._client.get().get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(got["Attributes"]["ApproximateNumberOfMessages"])

    def depths(self) -> QueueDepths:
        return QueueDepths(self._depth(self.queue_url), self._depth(self.dlq_url))


class NoQueues:
    """Outside AWS (the paper loop's in-memory plan list): nothing to read."""

    def depths(self) -> QueueDepths:
        return QueueDepths(None, None)
