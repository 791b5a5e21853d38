"""Truth rows on both engines, ``GET /api/truth`` over them, the CLI's one-line errors and
the scheduled Lambda's answers without a report to make."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.api.app import create_app
from llm_advisor.api.context import ApiContext
from llm_advisor.core.clock import ManualClock
from llm_advisor.storage.repository import Repository, open_repository
from llm_advisor.truth.records import Divergence, TruthReport
from llm_advisor.truth.store import TruthStore
from tests.api.conftest import call_app

DAY = date(2024, 3, 12)
AT = datetime(2024, 3, 12, 20, 45, tzinfo=UTC)


def report(run_id: str, day: date, verdict: str, slip: str) -> TruthReport:
    divs = (
        []
        if verdict == "identical"
        else [Divergence("signal_missed", "NVDA", AT, "late_bar", "bar NVDA 15:26Z late", "c1")]
    )
    return TruthReport(
        run_id=run_id,
        day=day,
        verdict=verdict,
        divergences=divs,
        counts={"signals_missed": len(divs), "divergences": len(divs)},
        pnl_live=Decimal("10.5"),
        pnl_model=Decimal("12"),
        pnl_split={
            "slippage": Decimal("-1.5"),
            "missed": Decimal(0),
            "extra": Decimal(0),
            "fees": Decimal(0),
            "other": Decimal(0),
        },
        slippage_usd=Decimal(slip),
        slippage_bps=2.5,
        start_equity=Decimal("100000"),
    )


@pytest.fixture(params=["sqlite", "postgres"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Repository, str]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_url")
    run_id = f"truth-test-{uuid.uuid4().hex[:8]}"
    r = open_repository(url, migrate_schema=True)
    r.ensure_run(run_id, "paper", "truth test", AT)
    try:
        yield r, run_id
    finally:
        with r.db.transaction() as cur:
            for t in ("truth_divergences", "truth_days", "runs"):
                cur.execute(f"DELETE FROM {t} WHERE run_id = ?", (run_id,))
        r.close()


def test_store_replaces_the_day_and_the_api_shows_it(repo: tuple[Repository, str]) -> None:
    r, run_id = repo
    store = TruthStore(r)
    store.save(report(run_id, date(2024, 3, 11), "identical", "3.00"), AT)
    store.save(report(run_id, DAY, "identical", "0"), AT)
    store.save(report(run_id, DAY, "diverged", "2.00"), AT)  # a rerun replaces the day
    got = store.load(run_id, DAY)
    assert got is not None and got.verdict == "diverged" and len(got.divergences) == 1
    assert got.divergences[0].cause == "late_bar" and got.slippage_usd == Decimal("2.00")

    app = create_app(ApiContext(queries=lambda: r, clock=ManualClock(AT)))
    body = call_app(app, "/api/truth", {"date": "2024-03-12", "run": run_id}).json
    assert body["verdict"] == "diverged" and body["pnl_live"] == "10.50"
    assert body["divergences"][0]["cause"] == "late_bar"
    assert [h["cumulative_slippage_usd"] for h in body["history"]] == ["3.00", "5.00"]
    latest = call_app(app, "/api/truth", {"run": run_id}).json
    assert latest["date"] == "2024-03-12"
    none = call_app(app, "/api/truth", {"date": "2024-03-08", "run": run_id}).json
    assert none["verdict"] is None and none["divergences"] == []
    missing = call_app(app, "/api/truth", {"run": "no-such-run"})
    assert missing.status == 404


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from llm_advisor.__main__ import main

    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    r = open_repository(url, migrate_schema=True)
    r.ensure_run("local-2024-03-12", "local", "x", AT)
    r.close()
    base = ["truth", "--db", url, "--bars", "synthetic"]
    rc, _, err = _cli([*base, "--date", "2024-03-12", "--run", "nope"], capsys)
    assert rc == 2 and err.strip() == "error: run='nope': no such run in the database"
    rc, _, err = _cli([*base, "--date", "2024-03-12", "--run", "local-2024-03-12"], capsys)
    assert rc == 2 and "recorded nothing that day" in err and len(err.strip().splitlines()) == 1
    rc, _, err = _cli([*base, "--date", "2024-03-09", "--run", "local-2024-03-12"], capsys)
    assert rc == 2 and "not an XNYS session" in err


def test_lambda_answers_closed_and_no_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llm_advisor.bootstrap import Container
    from llm_advisor.local.day import load_handler

    app = load_handler("truth_report")
    env = {"ADVISOR_DB_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}", "ADVISOR_RUN_ID": "live"}
    c = Container(env, overrides={"market_data": object(), "state": _NoState()})
    c.__dict__["load_context"] = lambda day: None
    monkeypatch.setitem(vars(app), "_container", c)
    ctx: Any = _Ctx()
    sat = app.lambda_handler({"scheduled_time": "2024-03-09T20:45:00Z"}, ctx)
    assert sat == {"status": "closed", "date": "2024-03-09"}
    out = app.lambda_handler({"scheduled_time": "2024-03-12T20:45:00Z"}, ctx)
    assert out["status"] == "no_records" and "recorded nothing" in out["message"]
    json.dumps(out)


class _NoState:
    def load(self, key: str) -> None:
        return None


class _Ctx:
    function_name = "truth_report"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:truth"
    aws_request_id = "t-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000
