"""Sweep reducer: after the Distributed Map, every trial result -> summary.json,
results.csv and report.html (tables only: Plotly is not in the Lambda layer; ``sweep``
redraws the report with charts from summary.json on the user's machine).

Event: the execution input plus ``map`` (the ResultWriter's manifest location). Thin: the
work is ``llm_advisor.sweep.stepfunctions.reduce``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from llm_advisor.aws.clients import client
    from llm_advisor.sweep.stepfunctions import reduce

    out = reduce(event, client("s3"))
    logger.info("sweep reduced", extra=out)
    return out
