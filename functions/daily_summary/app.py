"""Daily summary at 16:15 New York on weekdays: the day's trades, P/L and the analyst's part.

Event -> scheduled time -> the New York date -> ``send_summary`` (built from the run's
record, sent once per day through the alert channel: SNS deployed, stderr locally). A
holiday answers ``closed`` and sends nothing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.aws.events import scheduled_time
from llm_advisor.bootstrap import Container
from llm_advisor.core.calendar import NY, is_session
from llm_advisor.notify.summary import send_summary

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
    day = now.astimezone(NY).date()
    if not is_session(day):
        return {"status": "closed", "date": day.isoformat()}
    c = container()
    try:
        summary, sent = send_summary(c.repository, c.config, c.watch, day, now)
    except Exception as exc:
        c.watch.failure("summary", now, exc)
        raise
    metrics.add_metric("SummariesSent", MetricUnit.Count, int(sent))
    out = {
        "status": "sent" if sent else "already_sent",
        "date": day.isoformat(),
        "trades": len(summary.trades),
        "pnl": str(summary.pnl),
        "lines": summary.lines(),
    }
    logger.info("daily summary", extra=out)
    return out
