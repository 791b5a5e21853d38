"""Trade executor: each SQS message is a TradePlan; place its bracket order exactly once.

Powertools batch processing reports only the failed messages back to SQS
(``batchItemFailures``); those come back after the visibility timeout and, after five
attempts, land in the dead-letter queue (alarmed). Idempotency is per ``client_order_id``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.bootstrap import Container
from llm_advisor.core.models import TradePlan
from llm_advisor.execution.executor import execute_plan
from llm_advisor.execution.monitor import kill_switch_active

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
_container: Container | None = None


def container() -> Container:
    global _container  # noqa: PLW0603 - the per-container cache is the point
    if _container is None:
        _container = Container()
    return _container


def _received_at(record: SQSRecord) -> datetime:
    """When SQS first received the message: the order's timestamp (not the wall clock)."""
    ms = int(record.attributes.sent_timestamp)
    return datetime.fromtimestamp(ms / 1000, UTC)


@tracer.capture_method
def record_handler(record: SQSRecord) -> dict[str, Any]:
    plan = TradePlan.model_validate_json(record.body)
    c = container()
    done = execute_plan(
        plan,
        _received_at(record),
        c.broker,
        c.repository,
        kill_switch=lambda day: kill_switch_active(c.state, day),
    )
    metrics.add_metric(f"Orders_{done.outcome}", MetricUnit.Count, 1)
    logger.info("plan", extra={"client_order_id": done.client_order_id, "outcome": done.outcome})
    return {"client_order_id": done.client_order_id, "outcome": done.outcome}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
