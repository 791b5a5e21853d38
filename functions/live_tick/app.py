"""Live tick: every minute of the session, step the engine over the bars not yet processed.

Thin on purpose: event -> scheduled time -> ``run_tick`` -> summary and metrics. The calendar
guard inside ``run_tick`` makes the 09:00-09:30 and holiday invocations no-ops. Bad and late
bars never fail the tick: they are counted here (``BarsQuarantined``, ``BarsLate``).
Around the result (not inside the tick): the status heartbeat, the bad-bars alert and the
``TickHeartbeat`` metric the dead-man alarm watches (``notify/watch.py``).
"""

from __future__ import annotations

import time
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
    c = container()
    started = time.monotonic()
    try:
        result = run_tick(now, c.tick_deps())
    except Exception as exc:
        c.watch.failure("tick", now, exc)  # the status strip shows it; the error alarm too
        raise
    # The status page's heartbeat (and the dead-man alarm's metric), the bad-bars alert.
    c.watch.after_tick(result, time.monotonic() - started, result.engine)
    metrics.add_metric("TickHeartbeat", MetricUnit.Count, 1)
    metrics.add_metric("MinutesProcessed", MetricUnit.Count, len(result.minutes))
    metrics.add_metric("PlansPublished", MetricUnit.Count, len(result.plans))
    # Bad bars refused (stored in bar_quarantine) and bars that came after their minute.
    metrics.add_metric("BarsQuarantined", MetricUnit.Count, len(result.quarantined))
    metrics.add_metric("BarsLate", MetricUnit.Count, len(result.late))
    if result.held is not None:
        metrics.add_metric("MinutesHeld", MetricUnit.Count, 1)
    if result.status == "conflict":
        metrics.add_metric("StateConflicts", MetricUnit.Count, 1)
    summary = result.summary()
    logger.info("tick", extra=summary)
    return summary
