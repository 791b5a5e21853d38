"""Position monitor: every minute, reconcile the broker into the database; EOD flatten and
the daily-loss kill switch. Event -> scheduled time -> ``run_monitor`` -> summary."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.aws.events import scheduled_time
from llm_advisor.bootstrap import Container
from llm_advisor.execution.monitor import run_monitor

logger = Logger()
tracer = Tracer()
metrics = Metrics()
_container: Container | None = None


def container() -> Container:
    global _container  # noqa: PLW0603 - the per-container cache is the point
    if _container is None:
        _container = Container()
    return _container


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = scheduled_time(event)
    c = container()
    result = run_monitor(now, c.broker, c.repository, c.state, c.config)
    metrics.add_metric("OpenPositions", MetricUnit.Count, result.positions)
    if result.kill_switch:
        metrics.add_metric("KillSwitchActive", MetricUnit.Count, 1)
    summary = result.summary()
    logger.info("monitor", extra=summary)
    return summary
