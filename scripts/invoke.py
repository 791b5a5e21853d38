"""Run one Lambda handler in-process on one event: ``make invoke FN=live_tick EVENT=...``.

No Docker: the handler runs under moto (DynamoDB, SQS, S3 created with the deployment's
names), with the local SQLite database, and prints its response. Functions that need Alpaca
use ``ALPACA_API_KEY``/``ALPACA_SECRET_KEY`` and ``ADVISOR_ALPACA_URL_OVERRIDE`` from the
environment (a paper account, or the local stand-in).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = (
    "premarket",
    "live_tick",
    "market_analysis",
    "trade_executor",
    "position_monitor",
    "portfolio_api",
)


@dataclass
class Context:
    function_name: str = "local"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id: str = "local-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in FUNCTIONS:
        print(f"usage: invoke.py FN EVENT.json   (FN one of {', '.join(FUNCTIONS)})")
        return 2
    fn, event_path = argv
    try:
        event = json.loads(Path(event_path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        print(f"EVENT={event_path}: {exc}")
        return 2
    for k, v in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "POWERTOOLS_METRICS_NAMESPACE": "llm-advisor",
        "ADVISOR_RUNTIME": "aws",
        "ADVISOR_STATE_TABLE": "state",
        "ADVISOR_ARCHIVE_BUCKET": "archive",
    }.items():
        os.environ.setdefault(k, v)
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName=os.environ["ADVISOR_STATE_TABLE"],
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        os.environ.setdefault(
            "ADVISOR_SIGNAL_QUEUE_URL",
            boto3.client("sqs").create_queue(QueueName="plans")["QueueUrl"],
        )
        boto3.client("s3").create_bucket(Bucket=os.environ["ADVISOR_ARCHIVE_BUCKET"])
        spec = importlib.util.spec_from_file_location(
            f"fn_{fn}", ROOT / "functions" / fn / "app.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        try:
            result = module.lambda_handler(event, Context())
        except Exception as exc:  # a CLI: one line, not a traceback
            print(f"{fn} failed: {type(exc).__name__}: {exc}")
            return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
