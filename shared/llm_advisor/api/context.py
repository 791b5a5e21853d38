"""What the routes need from outside: the query layer, a clock, the version string.

Passed explicitly to each router factory (no module globals), so a test builds an app over
a fake ``PortfolioQueries`` and a fixed clock, and the Lambda builds one over the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from llm_advisor import __version__
from llm_advisor.core.clock import Clock
from llm_advisor.core.ports import PortfolioQueries


class LazyQueries:
    """Open the repository on first use and keep it for the container's lifetime.

    A cold start that only answers ``/api/health`` or a 404 never opens a connection, and a
    warm container reuses the one it has (one connection per container, as RDS Proxy likes).
    """

    def __init__(self, opener: Callable[[], PortfolioQueries]) -> None:
        self._opener = opener
        self._queries: PortfolioQueries | None = None
        self._lock = threading.Lock()

    def __call__(self) -> PortfolioQueries:
        if self._queries is None:
            with self._lock:
                if self._queries is None:
                    self._queries = self._opener()
        return self._queries


@dataclass(frozen=True)
class ApiContext:
    queries: Callable[[], PortfolioQueries]
    clock: Clock
    version: str = __version__
    # The deployed account's run id (records of the live Lambdas); the default view.
    account_run: str = "live"


def new_router() -> APIGatewayRouter:
    """A router for one resource (Powertools' constructor is unannotated)."""
    return APIGatewayRouter()  # type: ignore[no-untyped-call]
