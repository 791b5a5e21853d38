"""Premarket: the day's context before the open (database rows + S3 document).

Scheduled at 08:30 New York it runs the whole job; the Step Functions workflow invokes it
with ``step`` = ``bias`` | ``snapshot`` | ``persist`` to run the same work step by step.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.aws.events import scheduled_time
from llm_advisor.aws.premarket_job import (
    PremarketJobDeps,
    run_premarket_job,
    session_day,
    step_persist,
    step_plan,
    step_snapshot,
)
from llm_advisor.bootstrap import Container
from llm_advisor.core.errors import UserError

logger = Logger()
tracer = Tracer()
metrics = Metrics()
_container: Container | None = None


def container() -> Container:
    global _container  # noqa: PLW0603 - the per-container cache is the point
    if _container is None:
        _container = Container()
    return _container


def job_deps() -> PremarketJobDeps:
    from llm_advisor.premarket.bias.model import ArtifactError, load_bias_model

    c = container()
    try:
        model = load_bias_model()
    except ArtifactError as exc:
        logger.warning("no bias model; contexts carry no bias", extra={"reason": str(exc)})
        model = None
    return PremarketJobDeps(
        config=c.config,
        symbols=c.symbols,
        market_data=c.market_data,
        archive=c.archive,
        records=c.repository,
        bias_model=model,
        minute_sessions=c.deploy.premarket_minute_sessions,
        use_daily=c.deploy.premarket_daily == "feed",
    )


def _day(event: dict[str, Any]) -> date:
    if event.get("session_date"):
        try:
            return date.fromisoformat(str(event["session_date"]))
        except ValueError:
            raise UserError(
                f"event.session_date={event['session_date']!r}: not YYYY-MM-DD"
            ) from None
    return session_day(scheduled_time(event))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = event.get("step")
    day = _day(event)
    deps = job_deps()
    if step == "bias":
        return step_plan(day, deps)
    if step == "snapshot":
        return step_snapshot(day, str(event["symbol"]), deps)
    if step == "persist":
        return step_persist(day, list(event.get("snapshots") or []), deps)
    if step is not None:
        raise UserError(f"event.step={step!r}: expected bias, snapshot or persist")
    out = run_premarket_job(day, deps)
    metrics.add_metric("SymbolsPrepared", MetricUnit.Count, len(out.get("symbols", [])))
    metrics.add_metric("SymbolsExcluded", MetricUnit.Count, len(out.get("excluded", {})))
    logger.info("premarket", extra=out)
    return out
