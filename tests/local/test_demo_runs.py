"""``make demo`` stores its replay and its simulated day as two runs, and the page's default
view is the simulated day: the headline P/L equals the realized P/L the demo printed for
the day (issue 12: it used to add the replay's trades to the day's)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.api.app import app_from_settings
from llm_advisor.api.settings import ApiSettings
from llm_advisor.cli import demo
from llm_advisor.core.clock import ManualClock


def call_app(app: Any, path: str, query: dict[str, str] | None = None) -> Any:
    from urllib.parse import urlencode

    from llm_advisor.api.proxy import proxy_event

    target = path + ("?" + urlencode(query) if query else "")
    result = app.resolve(proxy_event("GET", target, headers={}), None)
    assert int(result["statusCode"]) == 200, result
    return _Reply(json.loads(result["body"]))


class _Reply:
    def __init__(self, body: Any) -> None:
        self.json = body


DAY = date(2024, 3, 12)
SYMBOLS = "SPY,QQQ,IWM,NVDA,TSLA"  # the parity day: trades in the replay and the day


def test_demo_stores_two_runs_and_the_page_defaults_to_the_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    parser = argparse.ArgumentParser()
    demo.register(parser.add_subparsers())
    args = parser.parse_args(
        [
            *("demo", "--start", DAY.isoformat(), "--sessions", "1", "--symbols", SYMBOLS),
            *("--db", db, "--out", str(tmp_path / "out")),
        ]
    )
    assert demo.run(args) == 0
    out = capsys.readouterr().out
    printed = re.search(r"realized P/L ([+-]\d+\.\d\d)", out)
    assert printed, out
    day_pnl = Decimal(printed.group(1))

    now = datetime.now(UTC)  # noqa: TID251 - the demo stamped its runs with the real clock
    app = app_from_settings(ApiSettings(db_url=db), clock=ManualClock(now))
    runs = call_app(app, "/api/runs").json
    kinds = {r["kind"]: r for r in runs["items"]}
    assert sorted(kinds) == ["local", "replay"] and len(runs["items"]) == 2
    local, replay = kinds["local"], kinds["replay"]
    assert runs["default_run_id"] == local["run_id"] == f"local-{DAY.isoformat()}"
    assert replay["trades"] > 0

    window = {"start_date": "2024-03-01", "end_date": "2024-03-31"}
    pnl = call_app(app, "/api/pnl", window).json
    assert pnl["run_id"] == local["run_id"]
    assert Decimal(pnl["total_realized"]) == day_pnl == Decimal(local["realized_pnl"])
    assert pnl["trades"] == local["trades"]
    # both page addresses are printed
    for r in (local, replay):
        assert demo.page_url(r["run_id"]) in out
