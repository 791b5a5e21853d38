"""Validation on by default: a simulated day (the real handlers) writes a verdict per
candidate into ``llm_validations``, and the replay of that day with the rules validator takes
the same decisions (trades, signals, verdicts)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from llm_advisor.analysis.rules import RulesAnalyst
from llm_advisor.analysis.validator import RulesValidator
from llm_advisor.core.config import StrategyConfig
from llm_advisor.local.day import LocalDayResult, run_local_day, synthetic_day_bars
from llm_advisor.replay.premarket import PremarketInfo
from llm_advisor.replay.runner import run_replay
from llm_advisor.storage.replay_store import record_replay
from llm_advisor.storage.repository import open_repository

DAY = date(2024, 3, 12)
SYMBOLS = ("IWM", "NVDA", "SPY")
HISTORY = 6


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalDayResult, Any, str]:
    bars = synthetic_day_bars(DAY, SYMBOLS, 7, HISTORY)
    url = f"sqlite:///{tmp_path_factory.mktemp('vday') / 'advisor.sqlite3'}"
    # the default configuration and settings: ADVISOR_VALIDATION_ENABLED is not set
    result = run_local_day(DAY, SYMBOLS, db_url=url, history_sessions=HISTORY, bars=bars)
    return result, bars, url


def _replay(result: LocalDayResult, bars: Any) -> Any:
    cfg = StrategyConfig()
    return run_replay(
        cfg,
        bars,
        DAY,
        DAY,
        analyst=RulesAnalyst(cfg),
        validator=RulesValidator(),
        validator_name="rules",
        premarket=lambda _day: PremarketInfo(biases=dict(result.daily_bias)),
    )


def test_the_local_day_writes_a_verdict_row_per_candidate(
    day: tuple[LocalDayResult, Any, str],
) -> None:
    result, _, url = day
    repo = open_repository(url).scoped(result.run_id)
    rows = repo.get_validations()
    signals = repo.get_signals()
    assert rows, "the day must have validated signals"
    # every signal that passed the guards was asked about, and only those
    asked = {s.client_order_id for s in signals if s.reject_reason in ("", "llm_rejected")}
    assert {r["client_order_id"] for r in rows} == asked
    assert {(r["provider"], r["model"]) for r in rows} == {("rules", "rules")}
    assert all(r["decided_at"] > r["signal_time"] and r["reasoning"] for r in rows)


def test_the_replay_with_the_rules_validator_takes_the_same_decisions(
    day: tuple[LocalDayResult, Any, str],
) -> None:
    result, bars, url = day
    replay = _replay(result, bars)
    repo = open_repository(url)
    live = repo.scoped(result.run_id)

    def key(t: Any) -> tuple[Any, ...]:
        return (t.symbol, t.signal_time, t.entry_time, t.exit_time, t.qty, t.pnl)

    expected = sorted(replay.trades, key=lambda t: (t.entry_time, t.symbol))
    assert [key(t) for t in result.trades] == [key(t) for t in expected]
    got = sorted((s.client_order_id, s.status, s.reject_reason) for s in live.get_signals())
    want = sorted((s.client_order_id, s.status, s.reject_reason) for s in replay.signals)
    assert got == want
    verdicts = sorted((r["client_order_id"], r["verdict"]) for r in live.get_validations())
    assert verdicts == sorted((v.client_order_id, v.verdict) for v in replay.validations)
    # the replay stores its verdicts with its run, under its own (validated) run id
    run_id = record_replay(repo, replay)
    stored = [(r["client_order_id"], r["verdict"]) for r in repo.scoped(run_id).get_validations()]
    assert sorted(stored) == verdicts


def test_a_plain_replay_does_not_validate_and_keeps_its_run_id(
    day: tuple[LocalDayResult, Any, str],
) -> None:
    result, bars, _ = day
    cfg = StrategyConfig()
    plain = run_replay(cfg, bars, DAY, DAY, analyst=RulesAnalyst(cfg))
    assert plain.validations == [] and plain.validator == ""
    assert plain.run_id != _replay(result, bars).run_id
