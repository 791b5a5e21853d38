"""Premarket: the day's context before the open (database rows + S3 document).

Scheduled at 08:30 New York it runs the whole job; the Step Functions workflow invokes it
with ``step`` = ``bias`` | ``snapshot`` | ``persist`` to run the same work step by step
(``bias`` also gathers the VIX figure, which the later steps receive as ``volatility``).
News comes from Alpaca's news API with the market data keys; the VIX from
``ADVISOR_VIX_SOURCE_URL`` (CBOE's CSV) with SPY's realised volatility as the fallback; the
LLM paragraph only when an LLM analyst is configured (``ADVISOR_PREMARKET_LLM=auto``).
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


def _writer(c: Container) -> Any:
    """The LLM paragraph writer when an LLM analyst is configured, else None (the digest)."""
    from llm_advisor.analysis.factory import make_llm
    from llm_advisor.analysis.providers import LLM_PROVIDERS, parse_chain
    from llm_advisor.premarket.narrative import LLMContextWriter

    # the first LLM of the analyst's chain as it resolved here (credentials present)
    llms = [n for n in parse_chain(c.analyst_chain) if n in LLM_PROVIDERS]
    if c.settings.premarket_llm == "off" or not llms:
        return None
    name = llms[0]

    return LLMContextWriter(make_llm(name, c.settings, c.ledger, c.clock), c.clock, name)


def job_deps() -> PremarketJobDeps:
    from llm_advisor.premarket.bias.model import ArtifactError, load_bias_model
    from llm_advisor.premarket.volatility import CsvVixSource

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
        news=c.news_source,
        vix_source=CsvVixSource(c.settings.vix_source_url, c.settings.vix_timeout_seconds)
        if c.settings.vix_source_url
        else None,
        writer=_writer(c),
    )


def _volatility(event: dict[str, Any]) -> Any:
    from llm_advisor.premarket.volatility import Volatility

    raw = event.get("volatility")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UserError(f"event.volatility={raw!r}: expected the bias step's object")
    return Volatility.from_json(raw)


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
        return step_snapshot(day, str(event["symbol"]), deps, _volatility(event))
    if step == "persist":
        snaps = list(event.get("snapshots") or [])
        return step_persist(day, snaps, deps, _volatility(event))
    if step is not None:
        raise UserError(f"event.step={step!r}: expected bias, snapshot or persist")
    c = container()
    try:
        out = run_premarket_job(day, deps)
    except Exception as exc:
        c.watch.failure("premarket", c.clock.now(), exc)
        raise
    c.watch.beat(
        "premarket",
        c.clock.now(),
        True,
        {
            "day": day.isoformat(),
            "symbols": len(out.get("symbols", [])),
            "excluded": len(out.get("excluded", {})),
        },
    )
    metrics.add_metric("SymbolsPrepared", MetricUnit.Count, len(out.get("symbols", [])))
    metrics.add_metric("SymbolsExcluded", MetricUnit.Count, len(out.get("excluded", {})))
    metrics.add_metric("NewsItems", MetricUnit.Count, out.get("news_items", 0))
    logger.info("premarket", extra=out)
    return out
