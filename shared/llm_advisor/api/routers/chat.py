"""``POST /api/chat``: ask the portfolio a question; the answer cites the records it used.

The API's one POST: it reads only (the chat service runs the same scoped queries as the
GET routes, under the same read-only database role) but takes a body, so browsers send a
CORS preflight for it. Each source IP gets a token bucket (``chat.throttle``) on top of the
API Gateway throttle of the route; a caller over its rate gets 429 with ``Retry-After``.
The run follows the other routes' rule (``run`` in the body, else the default run).
"""

from __future__ import annotations

import math
import time
from datetime import date
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, ConfigDict, Field

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import ApiError, documented_responses, request_id
from llm_advisor.api.params import RUN_ID_PATTERN, run_queries
from llm_advisor.api.schemas import ErrorBody
from llm_advisor.chat.throttle import TokenBucket
from llm_advisor.core.errors import UserError

if TYPE_CHECKING:
    from llm_advisor.chat.llm import LLMAnswerer

RATE_PER_MINUTE = 20.0
BURST = 5


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChatTurn(_In):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=2000)


class ChatRequest(_In):
    question: str = Field(
        min_length=1,
        max_length=500,
        description="The question, in plain English",
        examples=["What is the P/L of the paper trading account over the last 5 days?"],
    )
    history: list[ChatTurn] = Field(
        default_factory=list, max_length=20, description="Earlier turns, oldest first"
    )
    run: str | None = Field(
        default=None,
        pattern=RUN_ID_PATTERN,
        description="Run id from GET /api/runs; default: the account's run (as other routes)",
    )


class CitationOut(_In):
    kind: str = Field(description="trade, daily_bias, pnl_day, position, analysis, signal, ...")
    id: str = Field(description="The record's id (trade id, date:symbol, timestamp, ...)")
    date: date | None
    symbol: str | None


class ChatResponse(_In):
    answer: str
    citations: list[CitationOut]
    data: dict[str, Any] = Field(
        description="The query result the answer came from: tool, columns, rows, facts"
    )
    run_id: str
    answerer: Literal["deterministic", "llm", "fallback", "help"]
    intent: str | None


def _client(r: APIGatewayRouter) -> str:
    try:
        return str(r.current_event.request_context.identity.source_ip or "unknown")
    except (AttributeError, KeyError, TypeError):
        return "unknown"


def router(
    ctx: ApiContext,
    answerer: LLMAnswerer | None = None,
    bucket: TokenBucket | None = None,
) -> APIGatewayRouter:
    from llm_advisor.chat.service import ChatService, Turn

    r = new_router()
    limits = bucket or TokenBucket(RATE_PER_MINUTE, BURST, time.monotonic)

    @r.post(
        "/chat",
        summary="Ask a question about the trading record",
        description=(
            "Answers questions about bias, trades, P/L, positions, analyses, signals and "
            "features of one run (`run`, default as the other routes). Every figure in "
            "`answer` comes from the records in `data`; `citations` name them. Rate limited "
            f"per client ({RATE_PER_MINUTE:g}/minute, bursts of {BURST}): 429 beyond."
        ),
        responses={
            **documented_responses(ChatResponse, "The answer, its citations and data", extra=404),
            429: {
                "description": "Too many questions from this client; retry after Retry-After",
                "content": {"application/json": {"model": ErrorBody}},
            },
        },
        tags=["chat"],
    )
    def chat(body: Annotated[ChatRequest, Body()]) -> Any:
        wait = limits.allow(_client(r))
        if wait > 0:
            err = ErrorBody(
                status=HTTPStatus.TOO_MANY_REQUESTS,
                error="throttled",
                message=f"too many questions; retry in {math.ceil(wait)} s",
                request_id=request_id(r),  # type: ignore[arg-type]
            )
            return Response(
                status_code=HTTPStatus.TOO_MANY_REQUESTS,
                content_type=content_types.APPLICATION_JSON,
                body=err.model_dump(mode="json"),
                headers={"Retry-After": str(math.ceil(wait))},
            )
        _scoped, run_id = run_queries(ctx, body.run)
        service = ChatService(ctx.queries(), ctx.clock, ctx.account_run, answerer)
        history = [Turn(t.role, t.content) for t in body.history]
        try:
            out = service.ask(body.question, history, run_id)
        except UserError as exc:
            raise ApiError(HTTPStatus.BAD_REQUEST, "bad_request", str(exc), "question") from None
        return ChatResponse.model_validate(out.to_json())

    return r
