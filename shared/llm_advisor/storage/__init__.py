"""Trading records in SQLite (embedded default) and PostgreSQL (RDS): one schema, one API."""

from llm_advisor.storage.records import LIVE_RUN, EquitySnapshot, RunRecord
from llm_advisor.storage.repository import Repository, open_repository

__all__ = ["LIVE_RUN", "EquitySnapshot", "Repository", "RunRecord", "open_repository"]
