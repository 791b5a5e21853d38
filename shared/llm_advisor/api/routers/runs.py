"""``GET /api/runs``: every stored run, so a page can pick one and say which it shows.

The portfolio routes read one run at a time (``run=``); without it they show the default
run (``params.default_run``): the account, else the latest simulated day, never a replay.
This listing names that default so a client can label its view without guessing.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor.api.context import ApiContext, new_router
from llm_advisor.api.errors import documented_responses
from llm_advisor.api.params import default_run
from llm_advisor.api.schemas import RunOut, RunsResponse


def router(ctx: ApiContext) -> APIGatewayRouter:
    r = new_router()

    @r.get(
        "/runs",
        summary="Stored runs (account, local days, replays) with a small summary",
        description=(
            "Newest first. `default_run_id` is what the other routes show without `run`: the "
            "account's run when it exists, else the most recent local day; never a replay."
        ),
        responses=documented_responses(RunsResponse, "Every run", bad_request=False),
        tags=["runs"],
    )
    def runs() -> RunsResponse:
        queries = ctx.queries()
        return RunsResponse(
            default_run_id=default_run(ctx, queries),
            items=[RunOut.of(x) for x in queries.runs()],
        )

    return r
