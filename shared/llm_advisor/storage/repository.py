"""The trading record: one repository over SQLite or PostgreSQL, chosen by URL.

Every write is an idempotent upsert keyed by the record's natural key (client_order_id,
(run_id, symbol, signal_time, setup, side), (date, symbol), ...), so re-running premarket, a
replay or a retried Lambda never duplicates rows. Records carry a ``run_id``; live trading
writes under ``'live'``. The read side (``PortfolioQueries``) lives in ``queries.py``.

``Repository`` is assembled here from one part per concern, each small enough to read on its
own: the connection, run scoping and bulk-write helpers (``repo_base``), runs
(``repo_runs``), premarket/market analysis/LLM ledger (``repo_analysis``), orders and their
status history (``repo_orders``), engine events, trades, fills, equity and positions
(``repo_trading``) and the typed per-run reads (``repo_reads``). Callers import
``Repository`` and ``open_repository`` from here, as before.
"""

from __future__ import annotations

from llm_advisor.storage.db import connect
from llm_advisor.storage.migrate import current_version, migrate
from llm_advisor.storage.queries import PortfolioQueriesImpl
from llm_advisor.storage.repo_analysis import AnalysisMixin
from llm_advisor.storage.repo_base import _COPY_MIN_ROWS, RUN_TABLES
from llm_advisor.storage.repo_orders import OrdersMixin
from llm_advisor.storage.repo_reads import ReadsMixin
from llm_advisor.storage.repo_runs import RunsMixin
from llm_advisor.storage.repo_trading import TradingMixin
from llm_advisor.storage.urls import parse_url

__all__ = ["RUN_TABLES", "_COPY_MIN_ROWS", "Repository", "open_repository"]


class Repository(
    RunsMixin, AnalysisMixin, OrdersMixin, TradingMixin, ReadsMixin, PortfolioQueriesImpl
):
    """Typed save/get per entity plus the portfolio queries, on either engine."""

    # ------------------------------------------------------------ lifecycle
    def migrate(self) -> list[int]:
        return migrate(self.db)

    def schema_version(self) -> int:
        return current_version(self.db)

    def close(self) -> None:
        self.db.close()

    def scoped(self, run_id: str | None) -> Repository:
        """The same database with the portfolio queries restricted to one run."""
        return Repository(self.db, scope_run_id=run_id)

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_repository(url: str, migrate_schema: bool = False) -> Repository:
    """Open the database at ``url`` (``sqlite:///path`` or ``postgresql://...``)."""
    repo = Repository(connect(parse_url(url)))
    if migrate_schema:
        repo.migrate()
    return repo
