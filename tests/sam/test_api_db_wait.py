"""The API Lambda's timeout outlasts every wait on its way to the database.

Issue 11: the API waited 10 s for a PostgreSQL connection inside a 10 s Lambda, so a down
database gave the client a Lambda timeout instead of the API's JSON 503. The template now
sets ``ADVISOR_PG_CONNECT_TIMEOUT`` for the API; this holds the configured waits (not any
measured time) under the function's ``Timeout`` with a second to spare for the answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

from llm_advisor.api.database import secret_read_budget_s, worst_case_wait_s
from llm_advisor.storage import db

ROOT = Path(__file__).resolve().parents[2]
ANSWER_MARGIN_S = 1.0  # the request's own work after the wait (routing, JSON, logging)


@pytest.fixture(scope="module")
def api_function() -> dict[str, Any]:
    template: dict[str, Any] = cfn_yaml.load(str(ROOT / "template.yaml"))
    props: dict[str, Any] = template["Resources"]["PortfolioApiFunction"]["Properties"]
    return props


def _db_wait(fn: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> float:
    raw = fn["Environment"]["Variables"]["ADVISOR_PG_CONNECT_TIMEOUT"]
    monkeypatch.setenv("ADVISOR_PG_CONNECT_TIMEOUT", str(raw))
    # parsed exactly as storage.db parses it at import in the Lambda
    return db._positive_setting("ADVISOR_PG_CONNECT_TIMEOUT", 10.0)


def test_api_timeout_exceeds_the_configured_database_wait(
    api_function: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    wait = _db_wait(api_function, monkeypatch)
    timeout = float(api_function["Timeout"])
    assert wait == 3.0
    assert worst_case_wait_s(wait) == secret_read_budget_s() + wait
    assert worst_case_wait_s(wait) + ANSWER_MARGIN_S <= timeout, (
        f"API Timeout {timeout}s leaves no room after waiting {worst_case_wait_s(wait)}s"
    )
    # a single connection attempt (libpq, whole seconds) also ends well inside the timeout
    assert db.libpq_connect_timeout(wait) + secret_read_budget_s() < timeout
