"""Fixtures for the SAM handler tests: moto resources and synthetic bars."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import boto3
import pandas as pd
import pytest
from moto import mock_aws
from sam_support import SYMBOLS

from llm_advisor.aws.clients import reset_clients


@pytest.fixture(scope="session")
def synthetic_bars() -> dict[str, pd.DataFrame]:
    from llm_advisor.data.synthetic import SyntheticMarket

    return SyntheticMarket(seed=11).minute_bars(list(SYMBOLS), date(2024, 2, 20), 16)


@pytest.fixture
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto resources named like the deployment's, and the env vars the template sets."""
    with mock_aws():
        reset_clients()
        region = "us-east-1"
        ddb = boto3.client("dynamodb", region_name=region)
        ddb.create_table(
            TableName="state",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        sqs = boto3.client("sqs", region_name=region)
        dlq = sqs.create_queue(QueueName="plans-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        queue = sqs.create_queue(
            QueueName="plans",
            Attributes={
                "VisibilityTimeout": "180",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}),
            },
        )["QueueUrl"]
        boto3.client("s3", region_name=region).create_bucket(Bucket="archive")
        env = {
            "ADVISOR_RUNTIME": "aws",
            "ADVISOR_WATCHLIST": ",".join(SYMBOLS),
            "ADVISOR_ANALYST": "rules",
            "ADVISOR_STATE_TABLE": "state",
            "ADVISOR_SIGNAL_QUEUE_URL": queue,
            "ADVISOR_ARCHIVE_BUCKET": "archive",
            "ADVISOR_AWS_REGION": region,
            "ADVISOR_DB_URL": f"sqlite:///{tmp_path / 'advisor.sqlite3'}",
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        yield env
        reset_clients()
