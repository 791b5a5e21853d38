"""Sweep worker: one item of the Distributed Map -> one trial replayed.

Event: ``{"trial", "data", "bucket", "prefix"}`` (the map's ItemSelector). The bars come
from the columnar store on S3 (``data upload``) and stay in this container's memory for its
next trials. Thin: the work is ``llm_advisor.sweep.stepfunctions.worker``. A bad event is
a ``UserError`` (one line, no retry helps), which the map counts as a failed item.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from llm_advisor.aws.clients import client
    from llm_advisor.sweep.stepfunctions import worker

    out = worker(event, client("s3"))
    logger.info("trial done", extra=out)
    return out
