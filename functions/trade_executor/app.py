"""Trade executor: each SQS message is a TradePlan; place its bracket order exactly once.

Powertools batch processing reports only the failed messages back to SQS
(``batchItemFailures``); those come back after the visibility timeout and, after five
attempts, land in the dead-letter queue (alarmed). Idempotency is per ``client_order_id``.

Staleness is judged on the container's clock (the system clock in Lambda), not on the
message's SentTimestamp: a backlog or a DLQ redrive delivers old plans with old timestamps,
and those must be refused, not placed at today's price. A refused plan is consumed (a
retry cannot make it fresher) and counted as ``Orders_stale`` plus ``Orders_<reason>``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
_outcomes: list[dict[str, Any]] = []  # this invocation's plan outcomes (the heartbeat)


def container() -> Container:
    global _container  # noqa: PLW0603 - the per-container cache is the point
    if _container is None:
        _container = Container()
    return _container


def _received_at(record: SQSRecord) -> datetime:
    """When SQS received the message: the order row's timestamp, the same on every
    redelivery (so the status history does not grow); never used to judge staleness."""
    ms = int(record.attributes.sent_timestamp)
    return datetime.fromtimestamp(ms / 1000, UTC)


@tracer.capture_method
def record_handler(record: SQSRecord) -> dict[str, Any]:
    plan = TradePlan.model_validate_json(record.body)
    c = container()
    done = execute_plan(
        plan,
        c.clock.now(),
        c.broker,
        c.repository,
        kill_switch=lambda day: kill_switch_active(c.state, day),
        max_age=timedelta(seconds=c.settings.max_plan_age_seconds),
        recorded_at=_received_at(record),
    )
    metrics.add_metric(f"Orders_{done.outcome}", MetricUnit.Count, 1)
    result = {"client_order_id": done.client_order_id, "outcome": done.outcome}
    _outcomes.append(result)
    if done.reason is not None:
        metrics.add_metric(f"Orders_{done.reason}", MetricUnit.Count, 1)
        result["reason"] = done.reason
        logger.warning("plan refused", extra={**result, "session_date": plan.session_date})
    else:
        logger.info("plan", extra=result)
    return result


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _outcomes.clear()
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    failed = len(response.get("batchItemFailures") or [])
    if failed:
        _outcomes.append({"outcome": "failed", "count": failed})
    c = container()
    c.watch.after_executor(c.clock.now(), list(_outcomes))  # the status strip's heartbeat
    return dict(response)
