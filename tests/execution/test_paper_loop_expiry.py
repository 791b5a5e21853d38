"""``live --paper`` judges its plans on the container's clock at execution time."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from llm_advisor.cli.live import PaperLoop
from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import AppSettings

from .conftest import CLOSE, FakeBroker, make_plan


class _NoState:
    def load(self, key: str) -> None:
        return None  # no kill switch raised


def _loop(
    monkeypatch: pytest.MonkeyPatch,
    clock: ManualClock,
    broker: FakeBroker,
    repo: Any,
    plans: list[Any],
) -> PaperLoop:
    from llm_advisor.execution import monitor as monitor_mod
    from llm_advisor.live import tick as tick_mod
    from llm_advisor.live.tick import TickResult

    monkeypatch.setattr(tick_mod, "run_tick", lambda now, deps: TickResult("stepped", now, None))
    monkeypatch.setattr(monitor_mod, "run_monitor", lambda *a: SimpleNamespace(summary=dict))
    container = SimpleNamespace(
        config=None,
        tick_deps=lambda: None,
        plans=SimpleNamespace(drain=lambda: list(plans)),
        broker=broker,
        repository=repo,
        state=_NoState(),
        clock=clock,
        settings=AppSettings(max_plan_age_seconds=30),
    )
    loop = PaperLoop(container, reconcile_every=timedelta(days=1))
    loop.last_reconcile = CLOSE
    return loop


def test_paper_loop_places_a_plan_of_this_minute(
    monkeypatch: pytest.MonkeyPatch, broker: FakeBroker, repo: Any
) -> None:
    clock = ManualClock(CLOSE + timedelta(seconds=3))
    out = _loop(monkeypatch, clock, broker, repo, [make_plan()]).step(clock.now())
    assert out["executed"] == ["submitted"] and broker.submits == 1


def test_paper_loop_refuses_a_plan_older_than_its_setting(
    monkeypatch: pytest.MonkeyPatch, broker: FakeBroker, repo: Any
) -> None:
    clock = ManualClock(CLOSE + timedelta(seconds=31))
    out = _loop(monkeypatch, clock, broker, repo, [make_plan()]).step(clock.now())
    assert out["executed"] == ["stale"] and broker.submits == 0
