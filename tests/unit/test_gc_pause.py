"""The collector pause around replay sessions and run encoding (core/gc_pause.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import date

import pytest

from llm_advisor.analysis.rules import NeutralAnalyst
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.gc_pause import gc_paused
from llm_advisor.core.models import Advice, MarketView
from llm_advisor.replay.inputs import synthetic
from llm_advisor.replay.runner import run_replay


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_restored_after_even_on_error(collector_on: None) -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off(collector_on: None) -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


class _Watching(NeutralAnalyst):
    """Notes whether the collector runs while the session's minutes are stepped."""

    def __init__(self, config: StrategyConfig) -> None:
        super().__init__(config)
        self.during: list[bool] = []

    def analyze(self, view: MarketView) -> Advice:
        self.during.append(gc.isenabled())
        return super().analyze(view)


def test_the_replay_pauses_only_inside_its_sessions(collector_on: None) -> None:
    between: list[bool] = []
    cfg = StrategyConfig()
    analyst = _Watching(cfg)
    inp = synthetic(["SPY", "QQQ"], date(2024, 3, 4), 2, seed=3)
    run_replay(
        cfg,
        inp.bars,
        inp.start,
        inp.end,
        analyst,
        show_progress=False,
        on_session=lambda _day, _eng: between.append(gc.isenabled()),
    )
    assert analyst.during and not any(analyst.during)  # paused while minutes are stepped
    assert between == [True, True]  # the collector runs between sessions
    assert gc.isenabled()
