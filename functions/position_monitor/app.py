"""Position monitor: every minute, reconcile the broker into the database (orders, fills,
trades, the position book); EOD flatten and the daily-loss kill switch. Event -> scheduled
time -> ``run_monitor`` (the reconciliation ``live --paper`` runs too) -> summary. Each
discrepancy is a structured warning and counts in ``ReconciliationDiscrepancies``. Around
the result: the status heartbeat (equity, kill switch, queue and DLQ depths) and the alerts
(fills, exits with P/L, kill switch, DLQ, the dead-man check on the tick's heartbeat)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.alpaca.reconcile import Discrepancy
from llm_advisor.aws.events import scheduled_time
from llm_advisor.bootstrap import Container
from llm_advisor.execution.monitor import run_monitor
from llm_advisor.notify.queues import QueueDepths
from llm_advisor.notify.watch import in_session

logger = Logger()
tracer = Tracer()
metrics = Metrics()
_container: Container | None = None


def container() -> Container:
    global _container  # noqa: PLW0603 - the per-container cache is the point
    if _container is None:
        _container = Container()
    return _container


def _depths(c: Container) -> QueueDepths:
    """The plan queue's and DLQ's depths; unreadable is unknown, never a failed monitor."""
    try:
        depths: QueueDepths = c.queue_depths.depths()
    except Exception as exc:
        logger.warning("queue depths unreadable", extra={"error": str(exc)})
        return QueueDepths(None, None)
    return depths


def _report(d: Discrepancy) -> None:
    logger.warning(
        "reconciliation discrepancy",
        extra={
            "kind": d.kind,
            "symbol": d.symbol,
            "ours": d.ours,
            "broker": d.broker,
            "resolution": d.resolution,
            "client_order_id": d.client_order_id,
        },
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = scheduled_time(event)
    c = container()
    try:
        result = run_monitor(now, c.broker, c.repository, c.state, c.config, _report)
    except Exception as exc:
        c.watch.failure("monitor", now, exc)  # broker unreachable (or the database)
        raise
    # Status and alerts around the result: fills, exits, kill switch, DLQ, dead man.
    depths = _depths(c)
    c.watch.after_monitor(result, depths)
    if in_session(now, c.config):
        # the gate of the dead-man alarm: a session minute with no TickHeartbeat
        metrics.add_metric("SessionMinute", MetricUnit.Count, 1)
    if depths.dlq:
        metrics.add_metric("DeadLetterDepth", MetricUnit.Count, depths.dlq)
    metrics.add_metric("OpenPositions", MetricUnit.Count, result.positions)
    if result.discrepancies:
        metrics.add_metric(
            "ReconciliationDiscrepancies", MetricUnit.Count, len(result.discrepancies)
        )
    if result.kill_switch:
        metrics.add_metric("KillSwitchActive", MetricUnit.Count, 1)
    summary = result.summary()
    logger.info("monitor", extra=summary)
    return summary
