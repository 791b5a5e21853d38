"""Daily truth report at 16:45 New York on weekdays: the live day against its replay.

Event -> scheduled time -> the New York date -> ``run_truth`` with the container's ports:
the day's bars re-fetched from the data API, the archived premarket context, the live
state's start-of-day account figures (``engine#DATE``). Writes the day's truth rows,
alerts through the notifier when the day diverges beyond ``ADVISOR_TRUTH_MAX_*``, and
publishes the counts as metrics. A holiday answers ``closed``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.aws.events import scheduled_time
from llm_advisor.bootstrap import Container
from llm_advisor.core.calendar import NY, is_session
from llm_advisor.core.errors import UserError
from llm_advisor.truth.alert import Thresholds
from llm_advisor.truth.service import TruthOutcome, live_account, run_truth

logger = Logger()
tracer = Tracer()
metrics = Metrics()
_container: Container | None = None


def container() -> Container:
    global _container  # noqa: PLW0603 - the per-container cache is the point
    if _container is None:
        _container = Container()
    return _container


def _report(c: Container, md: Any, day: date, now: datetime) -> TruthOutcome:
    return run_truth(
        c.repository,
        c.deploy.run_id,
        day,
        c.config,
        lambda syms, lo, hi: md.get_bars(list(syms), lo, hi, "1Min"),
        now,
        context=c.load_context(day),
        account=live_account(c.state, day),
        history_sessions=c.deploy.premarket_minute_sessions,
        thresholds=Thresholds.from_env(c.env),
        watch=c.watch,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = scheduled_time(event)
    day = now.astimezone(NY).date()
    if not is_session(day):
        return {"status": "closed", "date": day.isoformat()}
    c = container()
    md = c.market_data
    try:
        out = _report(c, md, day, now)
    except UserError as exc:  # nothing recorded that day (no trading): say so, no retry
        logger.warning("truth report not made", extra={"reason": str(exc)})
        return {"status": "no_records", "date": day.isoformat(), "message": str(exc)}
    r = out.report
    metrics.add_metric("TruthDivergences", MetricUnit.Count, len(r.divergences))
    metrics.add_metric("TruthSignalsMissed", MetricUnit.Count, r.counts.get("signals_missed", 0))
    metrics.add_metric("TruthSignalsExtra", MetricUnit.Count, r.counts.get("signals_extra", 0))
    metrics.add_metric("TruthAlerts", MetricUnit.Count, int(out.alert is not None))
    if r.slippage_bps is not None:
        metrics.add_metric("TruthSlippageBps", MetricUnit.Count, r.slippage_bps)
    body = r.as_dict()
    body["status"] = "reported"
    body["alerted"] = out.alerted
    logger.info("truth report", extra={"verdict": r.verdict, "divergences": len(r.divergences)})
    return body
