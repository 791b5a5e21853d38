"""The chaos suite in its quick form (a few trials per experiment, inside ``make test``), and
proof that every experiment can fail: with the protection it exercises switched off, it
reports failures. ``make chaos`` runs the full number of trials."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.chaos.runner import EXPERIMENTS, run_all, table

QUICK_TRIALS = 2
SEED = 11


def _run(name: str, trials: int = QUICK_TRIALS) -> Any:
    (row,) = run_all(trials, SEED, [name])
    return row


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_quick_run_finds_no_failure(name: str) -> None:
    row = _run(name)
    assert row.trials == QUICK_TRIALS * EXPERIMENTS[name][1] and row.units > 0, row.figure()
    assert row.failures == 0, table([row])


def test_an_unknown_experiment_is_one_clear_line() -> None:
    with pytest.raises(ValueError, match=r"^--only='nope': choose from crash at random bars"):
        run_all(1, SEED, ["nope"])


# ---------------------------------------------------------------- each experiment can fail
def test_restores_differ_when_the_state_forgets_the_state_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from llm_advisor.live.engine import Engine

    real = Engine.to_state

    def forgetful(self: Engine) -> dict[str, Any]:
        data = real(self)
        data["state"] = [0] * len(data["state"])  # every symbol back to idle
        return data

    monkeypatch.setattr(Engine, "to_state", forgetful)
    assert _run("crash at random bars", 3).failures > 0


def test_crashes_duplicate_orders_when_ids_depend_on_the_invocation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from llm_advisor.live.engine import Engine

    real = Engine.from_state.__func__  # type: ignore[attr-defined]
    invocation = itertools.count()

    def per_invocation(cls: type[Engine], data: Any) -> Engine:
        eng: Engine = real(cls, data)
        eng.coid_prefix += f"i{next(invocation)}-"  # e.g. an id made from the wall clock
        return eng

    monkeypatch.setattr(Engine, "from_state", classmethod(per_invocation))
    row = _run("crash between side effects", 3)
    assert row.failures > 0
    assert any("broker orders for one signal" in m for m in row.messages), row.messages


def test_deliveries_place_stale_plans_without_the_age_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from llm_advisor.execution import executor

    monkeypatch.setattr(executor, "staleness", lambda plan, now, max_age: None)
    row = _run("duplicate/shuffled/late/stale deliveries")
    assert row.failures > 0
    assert any("stale" in m for m in row.messages), row.messages


def test_overlaps_both_save_without_the_version_condition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from llm_advisor.local.stores import MemoryStateStore

    def blind_save(self: MemoryStateStore, key: str, blob: bytes, expected: int | None) -> int:
        current = self._items.get(key)
        version = 1 if current is None else current[1] + 1
        self._items[key] = (bytes(blob), version)
        return version

    monkeypatch.setattr(MemoryStateStore, "save", blind_save)
    row = _run("overlapping ticks")
    assert row.failures > 0
    assert any("statuses ['stepped', 'stepped']" in m for m in row.messages), row.messages


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the NaN/inf bars reach numpy
def test_bad_bars_reach_the_engine_without_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_advisor.live import bars

    def accept_all(ts: Any, values: Any, window: Any = None) -> Any:
        return np.ones(len(ts), dtype=bool), []

    monkeypatch.setattr(bars, "check_arrays", accept_all)
    assert _run("bad bars").failures > 0


def test_late_bars_are_counted_again_when_the_watch_list_is_not_consumed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from llm_advisor.live import bars

    real = bars._late

    def forgetful(market_data: Any, watch: Any, start: Any) -> Any:
        late, rejects, _left = real(market_data, watch, start)
        kept = {m: list(s) for m, s in watch.items() if pd.Timestamp(m) < pd.Timestamp(start)}
        return late, rejects, kept

    monkeypatch.setattr(bars, "_late", forgetful)
    row = _run("late bars", 3)
    assert row.failures > 0
    assert any("counted twice" in m for m in row.messages), row.messages


@pytest.mark.parametrize(
    ("target", "attr", "off", "says"),
    [
        ("llm_advisor.analysis.guards.CircuitBreaker", "allow", lambda self: True, "breaker"),
        ("llm_advisor.analysis.guards.DailyBudget", "allows", lambda self: True, "budget"),
        (
            "llm_advisor.analysis.analyzer.MarketAnalyzer",
            "_plausible",
            lambda self, answer: None,
            "gave advice",
        ),
    ],
    ids=["breaker", "budget", "plausibility"],
)
def test_llm_faults_get_through_without_each_guard(
    monkeypatch: pytest.MonkeyPatch, target: str, attr: str, off: Any, says: str
) -> None:
    monkeypatch.setattr(f"{target}.{attr}", off)
    row = _run("LLM faults", 3)
    assert row.failures > 0
    assert any(says in m for m in row.messages), row.messages
