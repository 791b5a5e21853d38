"""RAG export: after the close, the day's records -> S3 documents for retrieval (and the
Knowledge Base) plus their embeddings in ``rag_documents``. Event -> session date (New
York date of the scheduled time, or ``event.date``) -> ``export_day`` -> summary. Thin:
the work and its idempotence live in ``llm_advisor.rag.export``; a rerun (a retry, or a
manual invoke with ``date``) overwrites the same keys and rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from llm_advisor.aws.events import scheduled_time
from llm_advisor.bootstrap import Container
from llm_advisor.core.calendar import NY, is_session
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


def session_of(event: dict[str, Any]) -> date:
    raw = event.get("date")
    if raw is None:
        return scheduled_time(event).astimezone(NY).date()
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise UserError(f"event.date={raw!r}: expected YYYY-MM-DD") from None


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from llm_advisor.aws.clients import client
    from llm_advisor.rag.embedders import resolve_embedder
    from llm_advisor.rag.export import S3Sink, export_day

    day = session_of(event)
    if not is_session(day):
        logger.info("no session", extra={"date": day.isoformat()})
        return {"date": day.isoformat(), "documents": 0, "skipped": "no session"}
    c = container()
    sink = S3Sink(
        c.settings.archive_bucket,
        client("s3", c.settings.aws_region, c.deploy.aws_endpoint_url),
    )
    run = event.get("run_id")
    result = export_day(
        c.repository, day, sink, resolve_embedder(), c.clock.now(), run_id=run and str(run)
    )
    metrics.add_metric("RagDocuments", MetricUnit.Count, result.documents)
    metrics.add_metric("RagEmbedded", MetricUnit.Count, result.embedded)
    summary = {
        "date": day.isoformat(),
        "documents": result.documents,
        "by_kind": result.by_kind,
        "runs": result.runs,
        "embedded": result.embedded,
        "unchanged": result.unchanged,
        "embedder": result.embedder,
        "objects": len(result.keys),
    }
    logger.info("rag export", extra=summary)
    return summary
