"""The deployment's AWS resources under moto, and the SQS event source that feeds the executor.

Why this exists: the handlers talk to DynamoDB, SQS, S3 and Secrets Manager through boto3,
exactly as deployed; moto's in-process ``mock_aws`` gives them those services, named like the
template's, without Docker or network. ``_Queue`` plays the Lambda SQS event source mapping
(receive, invoke with a batch, delete what succeeded) so partial batch failures and
at-least-once delivery behave as they do in AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llm_advisor.local.handlers import _Handlers

REGION = "us-east-1"
TABLE, BUCKET, QUEUE, DLQ, ALPACA_SECRET = "state", "archive", "plans", "plans-dlq", "alpaca"


@contextmanager
def _aws(env_overrides: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """moto resources named like the deployment's; yields their names for the settings."""
    import os

    import boto3
    from moto import mock_aws

    from llm_advisor.aws.clients import reset_clients

    saved = {k: os.environ.get(k) for k in env_overrides}
    os.environ.update(env_overrides)
    try:
        with mock_aws():
            reset_clients()
            ddb = boto3.client("dynamodb", region_name=REGION)
            ddb.create_table(
                TableName=TABLE,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            )
            sqs = boto3.client("sqs", region_name=REGION)
            dlq = sqs.create_queue(QueueName=DLQ)["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            queue = sqs.create_queue(
                QueueName=QUEUE,
                Attributes={
                    "VisibilityTimeout": "180",
                    "RedrivePolicy": json.dumps(
                        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}
                    ),
                },
            )["QueueUrl"]
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
            yield {"queue_url": queue, "dlq_url": dlq}
            reset_clients()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _Queue:
    """The SQS event source mapping: receive, invoke with a batch, delete what succeeded."""

    def __init__(self, queue_url: str, deliver_twice: bool) -> None:
        import boto3

        self.url = queue_url
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.deliver_twice = deliver_twice
        self.failures = 0

    def _record(self, m: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        attrs = dict(m.get("Attributes") or {})
        # The event's SentTimestamp is the simulated minute, not moto's wall clock: the
        # executor stamps the order with it.
        ms = str(int(now.timestamp() * 1000))
        attrs["SentTimestamp"] = ms
        attrs.setdefault("ApproximateFirstReceiveTimestamp", ms)
        attrs.setdefault("ApproximateReceiveCount", "1")
        return {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": attrs,
            "messageAttributes": {
                k: {
                    "stringValue": v.get("StringValue"),
                    "dataType": v.get("DataType", "String"),
                    "stringListValues": [],
                    "binaryListValues": [],
                }
                for k, v in (m.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": REGION,
        }

    def deliver(self, handlers: _Handlers, now: datetime) -> int:
        """One delivery round; a failed item stays on the queue and returns next minute."""
        delivered = 0
        seen: set[str] = set()
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                VisibilityTimeout=30,
            ).get("Messages", [])
            fresh = [m for m in got if m["MessageId"] not in seen]
            if not fresh:
                for m in got:  # already tried this minute: back for the next round
                    self.sqs.change_message_visibility(
                        QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                    )
                return delivered
            seen.update(m["MessageId"] for m in fresh)
            event = {"Records": [self._record(m, now) for m in fresh]}
            rounds = 2 if self.deliver_twice else 1
            failed: set[str] = set()
            for _ in range(rounds):
                resp = handlers.invoke("trade_executor", event)
                failed |= {f["itemIdentifier"] for f in resp.get("batchItemFailures", [])}
            delivered += len(fresh)
            self.failures += len(failed)
            for m in fresh:
                if m["MessageId"] in failed:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])
