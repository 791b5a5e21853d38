"""Market analysis every 15 minutes: the analyst's multipliers for the next ticks.

Event -> scheduled time -> ``run_market_analysis`` (view from the saved engine state,
analyst, advice to the state table, analysis to the database) -> summary.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.aws.events import scheduled_time
from llm_advisor.bootstrap import Container
from llm_advisor.live.tick import run_market_analysis

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
    try:
        outcome = run_market_analysis(now, c.analysis_deps())
    except Exception as exc:
        c.watch.failure("analysis", now, exc)
        raise
    c.watch.after_analysis(outcome)  # heartbeat; analyst / validator fallback alerts
    # "<route>:neutral:<why>": no provider of the chain answered (analysis/chain.py)
    if outcome.advice is not None and ":neutral:" in outcome.advice.source:
        metrics.add_metric("AnalystFallbacks", MetricUnit.Count, 1)
    summary = outcome.summary()
    logger.info("analysis", extra=summary)
    return summary
