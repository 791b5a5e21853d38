"""``python -m llm_advisor llm-cost``: a recorded ledger priced per provider and model."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from llm_advisor.__main__ import main
from llm_advisor.analysis.cost_day import record_day
from llm_advisor.analysis.cost_model import cost_report
from llm_advisor.analysis.ledger import InMemoryLedger, JsonlLedger, LLMCallRecord, request_hash
from llm_advisor.analysis.schemas import AnalysisAnswer, tool_schema

from .conftest import GOOD, T0


def _rec(i: int, symbols: int = 5) -> LLMCallRecord:
    req = {
        "system": "You advise an intraday strategy. " * 20,
        "user": f"Time: 10:{i:02d} ET.\nUniverse: {symbols} symbols; last interval up 3.\n"
        + "SPY,I,+0.50,60,bull,-,+0.10,0.20,0\n" * symbols,
        "tool": "market_analysis",
        "tool_description": "Report the market assessment.",
        "schema": tool_schema(AnalysisAnswer),
        "max_tokens": 400,
    }
    at = T0 + timedelta(minutes=15 * i)
    return LLMCallRecord(
        request_hash=request_hash("m", req, {}),
        provider="replay-rules",
        model="rules",
        request=req,
        response={"tool_input": GOOD, "text": "", "stop_reason": "tool_use"},
        decision_time=at,
        created_at=at,
    )


@pytest.fixture
def ledger_file(tmp_path: Path) -> Path:
    path = tmp_path / "day.jsonl"
    led = JsonlLedger(path)
    for i in range(4):
        led.record(_rec(i))
    led.record(_rec(1).model_copy(update={"error": "skipped: daily LLM budget $1 reached"}))
    return path


def test_prices_a_recorded_ledger_per_provider_and_model(
    ledger_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["llm-cost", "--ledger", str(ledger_file)]) == 0
    out = capsys.readouterr().out
    for row in (
        "| anthropic | claude-haiku-4-5 | none |",
        "| bedrock | claude-haiku-4-5 | 1h |",
        "| bedrock-global | claude-sonnet-4-5 | 5m |",
        "| openai | gpt-4o-mini | auto |",
    ):
        assert row in out
    assert "5 sym: in tok/day" in out and "$/month (21)" in out
    assert "per day 4 analyses + 0 validations" in out  # the skipped call was never billed
    report = cost_report(JsonlLedger(ledger_file).records())
    by = {sc.label: d for sc, d in ((s, d[5]) for s, d in report.rows)}
    haiku_api = by[("anthropic", "claude-haiku-4-5", "none")]
    haiku_bedrock = by[("bedrock", "claude-haiku-4-5", "none")]
    assert haiku_bedrock.usd == haiku_api.usd * 11 / 10  # the regional premium, same tokens
    assert by[("openai", "gpt-4o-mini", "none")].usd < haiku_api.usd


def test_symbols_filter_and_bad_input_are_one_line_exit_2(
    ledger_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["llm-cost", "--ledger", str(ledger_file), "--symbols", "5"]) == 0
    capsys.readouterr()
    cases = [
        (["--ledger", str(tmp_path / "missing.jsonl")], "missing.jsonl: no such file"),
        (["--ledger", str(ledger_file), "--symbols", "50"], "no billed LLM calls over 50"),
        (["--ledger", str(ledger_file), "--symbols", "x"], "--symbols='x'"),
        (["--db", f"sqlite:///{tmp_path / 'empty.sqlite3'}"], "--date is required"),
        ([], "give --ledger FILE"),
    ]
    for argv, words in cases:
        assert main(["llm-cost", *argv]) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_prices_the_llm_calls_of_a_database_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from llm_advisor.storage.llm_ledger import SqlLedger
    from llm_advisor.storage.repository import open_repository

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    repo = open_repository(url, migrate_schema=True)
    try:
        led = SqlLedger(repo)
        for i in range(3):
            led.record(_rec(i))
        led.record(_rec(4).model_copy(update={"created_at": T0 + timedelta(days=1)}))
    finally:
        repo.close()
    assert main(["llm-cost", "--db", url, "--date", T0.date().isoformat()]) == 0
    assert "per day 3 analyses" in capsys.readouterr().out


def test_a_real_day_recorded_and_priced(shared_data: Path) -> None:
    led = InMemoryLedger()
    day = record_day(
        shared_data / "bars_1m", date(2026, 3, 6), ["SPY", "QQQ", "NVDA", "META", "AVGO"], led
    )
    assert day.analyses == 25  # 09:45 ... 15:45 every 15 minutes
    assert day.validations == day.accepted_signals == len(led) - 25
    report = cost_report(led.records())
    assert report.groups == [5]
    d = next(d[5] for sc, d in report.rows if sc.label == ("bedrock", "claude-haiku-4-5", "none"))
    assert d.analyses == 25 and d.validations == day.validations
    assert 0 < d.usd < 1
