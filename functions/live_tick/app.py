"""Live tick: every minute of the session, step the engine over the bars not yet processed.

Thin on purpose: event -> scheduled time -> ``run_tick`` -> summary. The calendar guard
inside ``run_tick`` makes the 09:00-09:30 and holiday invocations no-ops.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.aws.events import scheduled_time
from llm_advisor.bootstrap import Container
from llm_advisor.live.tick import run_tick

logger = Logger()
tracer = Tracer()
metrics = Metrics()
_container: Container | None = None


def container() -> Container:
    """Settings parsed and adapters built once per Lambda container."""
    global _container  # noqa: PLW0603 - the per-container cache is the point
    if _container is None:
        _container = Container()
    return _container


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = scheduled_time(event)
    result = run_tick(now, container().tick_deps())
    metrics.add_metric("MinutesProcessed", MetricUnit.Count, len(result.minutes))
    metrics.add_metric("PlansPublished", MetricUnit.Count, len(result.plans))
    if result.status == "conflict":
        metrics.add_metric("StateConflicts", MetricUnit.Count, 1)
    summary = result.summary()
    logger.info("tick", extra=summary)
    return summary
