"""The live_tick Lambda entry point with a bad bar in the feed: the tick steps, the bar is
quarantined in the database, and the handler reports it (summary and metric)."""

from __future__ import annotations

import importlib.util
import json
import math
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

from llm_advisor.bootstrap import Container
from llm_advisor.core.ports import Account
from llm_advisor.live.tick import PremarketSessionContext, engine_key

from .support import DAY, SYMBOLS, ScriptedFeed, at, with_bar

ROOT = Path(__file__).resolve().parents[2]


def _handler() -> ModuleType:
    path = ROOT / "functions" / "live_tick" / "app.py"
    spec = importlib.util.spec_from_file_location("live_tick_app_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Broker:
    def account(self) -> Account:
        cash = Decimal(100_000)
        return Account(equity=cash, cash=cash, buying_power=cash, last_equity=cash)


class _Context:
    function_name = "live_tick"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:live_tick"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def test_the_handler_quarantines_a_bad_bar_and_reports_it(
    frames: dict[str, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from llm_advisor.premarket.pipeline import build_premarket_context

    ctx = PremarketSessionContext(
        build_premarket_context(DAY, list(SYMBOLS), frames, None, [], None)
    )
    env = {
        "ADVISOR_RUNTIME": "local",
        "ADVISOR_LOCAL_DIR": str(tmp_path / "local"),
        "ADVISOR_WATCHLIST": ",".join(SYMBOLS),
        "ADVISOR_DB_URL": f"sqlite:///{tmp_path / 'advisor.sqlite3'}",
        "ADVISOR_BAR_WAIT_SECONDS": "0",
        "ADVISOR_MR_ARM_Z": "0.8",
    }
    feed = ScriptedFeed(with_bar(frames, "SPY", at("09:40"), high=math.inf))
    app = _handler()
    app._container = Container(
        env,
        overrides={"market_data": feed, "broker": _Broker(), "load_context": lambda d: ctx},
    )
    out: dict[str, Any] = app.lambda_handler(
        {"scheduled_time": at("09:45").isoformat().replace("+00:00", "Z")}, _Context()
    )
    assert out["status"] == "stepped" and out["minutes"] == 15
    assert (out["bars_quarantined"], out["bars_late"]) == (1, 0)
    emitted = [json.loads(x) for x in capsys.readouterr().out.splitlines() if "_aws" in x]
    assert [m["BarsQuarantined"] for m in emitted if "BarsQuarantined" in m] in ([1.0], [[1.0]])
    rows = app._container.repository.get_bar_quarantine()
    assert [(r["symbol"], r["bar_time"], r["reason"], r["high"]) for r in rows] == [
        ("SPY", at("09:40"), "non_finite", "inf")
    ]
    assert app._container.state.load(engine_key(DAY)) is not None


def test_the_handler_validates_each_candidate_and_stores_the_verdicts(
    frames: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    """Validation is on by default (the rules validator without LLM credentials): every
    signal that passed the risk guards has an ``llm_validations`` row, linked by its id."""
    from llm_advisor.premarket.pipeline import build_premarket_context

    ctx = PremarketSessionContext(
        build_premarket_context(DAY, list(SYMBOLS), frames, None, [], None)
    )
    env = {
        "ADVISOR_RUNTIME": "local",
        "ADVISOR_LOCAL_DIR": str(tmp_path / "local"),
        "ADVISOR_WATCHLIST": ",".join(SYMBOLS),
        "ADVISOR_DB_URL": f"sqlite:///{tmp_path / 'advisor.sqlite3'}",
        "ADVISOR_BAR_WAIT_SECONDS": "0",
        "ADVISOR_MR_ARM_Z": "0.8",
        "ADVISOR_MR_TRIGGER_Z": "0.3",
        "ADVISOR_TC_ARM_Z": "1.2",
        "ADVISOR_MIN_PERIODS": "30",
    }
    app = _handler()
    app._container = Container(
        env,
        overrides={
            "market_data": ScriptedFeed(frames),
            "broker": _Broker(),
            "load_context": lambda d: ctx,
        },
    )
    out: dict[str, Any] = app.lambda_handler(
        {"scheduled_time": at("12:00").isoformat().replace("+00:00", "Z")}, _Context()
    )
    assert out["status"] == "stepped" and out["plans"]
    repo = app._container.repository
    rows = repo.get_validations()
    asked = {s.client_order_id for s in repo.get_signals() if s.reject_reason == ""}
    assert out["validations"] == len(rows) > 0
    assert {r["client_order_id"] for r in rows} == asked >= set(out["plans"])
    assert {(r["provider"], r["model"], r["verdict"]) for r in rows} == {
        ("rules", "rules", "approve")
    }
