"""A tick that dies between loading and saving state is retried correctly: the retry
repeats the same minutes, publishes the same client_order_ids, and the state ends exactly
where an uninterrupted run leaves it."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sam_support import DAY, SYMBOLS, FrameMarketData, utc

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.models import TradePlan
from llm_advisor.live.tick import PremarketSessionContext, TickDeps, engine_key, run_tick
from llm_advisor.local.stores import MemoryPlanQueue, MemoryStateStore


class Recorder:
    def __init__(self) -> None:
        self.transitions: list[object] = []
        self.signals: list[object] = []

    def save_transitions(self, transitions: object) -> int:
        self.transitions.extend(transitions)  # type: ignore[call-overload]
        return 0

    def save_signals(self, signals: object) -> int:
        self.signals.extend(signals)  # type: ignore[call-overload]
        return 0

    def save_minute_log(self, minutes: object) -> int:
        return 0

    def prune_minute_log(self, before: object) -> int:
        return 0


class DiesOnSave(MemoryStateStore):
    def __init__(self) -> None:
        super().__init__()
        self.armed = False

    def save(self, key: str, blob: bytes, expected_version: int | None) -> int:
        if self.armed and key.startswith("engine#"):
            self.armed = False
            raise RuntimeError("Lambda timed out")
        return super().save(key, blob, expected_version)


def _deps(
    frames: dict[str, pd.DataFrame], state: MemoryStateStore, queue: MemoryPlanQueue
) -> TickDeps:
    from llm_advisor.premarket.pipeline import build_premarket_context

    ctx = PremarketSessionContext(
        build_premarket_context(DAY, list(SYMBOLS), frames, None, [], None)
    )
    cfg = StrategyConfig(mr_arm_z=0.8, mr_trigger_z=0.3, tc_arm_z=1.2, min_periods=30)
    return TickDeps(cfg, SYMBOLS, state, FrameMarketData(frames), queue, Recorder(), lambda d: ctx)


def test_a_tick_that_dies_before_saving_is_repeated_exactly(
    synthetic_bars: dict[str, pd.DataFrame],
) -> None:
    ref_state, ref_queue = MemoryStateStore(), MemoryPlanQueue()
    state, queue = DiesOnSave(), MemoryPlanQueue()
    ref, deps = _deps(synthetic_bars, ref_state, ref_queue), _deps(synthetic_bars, state, queue)
    t = utc("2024-03-12T13:31:00")
    died = 0
    while t <= utc("2024-03-12T16:00:00"):
        run_tick(t, ref)
        if t.minute % 7 == 3:  # every few minutes the invocation dies after publishing
            state.armed = True
            with pytest.raises(RuntimeError):
                run_tick(t, deps)
            died += 1
        run_tick(t, deps)
        t += timedelta(minutes=1)
    assert died > 10
    assert state.load(engine_key(DAY)) is not None
    assert state.load(engine_key(DAY))[0] == ref_state.load(engine_key(DAY))[0]
    ref_ids = [p.client_order_id for p in ref_queue.plans]
    ids = [p.client_order_id for p in queue.plans]
    assert ref_ids, "the scenario must produce plans"
    assert sorted(set(ids)) == sorted(ref_ids)  # re-published, never new ids
    assert all(isinstance(p, TradePlan) for p in queue.plans)


def test_a_plan_the_engine_cancels_in_the_same_tick_is_never_published(
    synthetic_bars: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's kill switch cancels an entry accepted on the breach bar (StepResult
    lists it in both ``plans`` and ``cancelled``): publishing it placed a real bracket the
    decision book says does not exist."""
    from llm_advisor.live.engine import Engine

    real_step = Engine.step

    def step_with_breach(self: Engine, *args: object, **kw: object) -> object:
        res = real_step(self, *args, **kw)  # type: ignore[arg-type]
        res.cancelled.extend(p.client_order_id for p in res.plans)
        return res

    state, queue = MemoryStateStore(), MemoryPlanQueue()
    clean_queue = MemoryPlanQueue()
    deps = _deps(synthetic_bars, state, queue)
    clean = _deps(synthetic_bars, MemoryStateStore(), clean_queue)
    t = utc("2024-03-12T13:31:00")
    while t <= utc("2024-03-12T16:00:00"):
        run_tick(t, clean)
        t += timedelta(minutes=1)
    assert clean_queue.plans, "the scenario must produce plans"
    monkeypatch.setattr(Engine, "step", step_with_breach)
    t = utc("2024-03-12T13:31:00")
    while t <= utc("2024-03-12T16:00:00"):
        assert run_tick(t, deps).plans == []
        t += timedelta(minutes=1)
    assert queue.plans == []


def test_the_engines_kill_switch_reaches_the_executor_and_monitor(
    synthetic_bars: dict[str, pd.DataFrame],
) -> None:
    """The decision book trips its daily-loss limit: the tick raises the flag the executor
    (refuse new orders) and the position monitor (cancel and flatten) act on."""
    from llm_advisor.execution.monitor import kill_switch_active
    from llm_advisor.live.tick import decode_state

    state = MemoryStateStore()
    deps = _deps(synthetic_bars, state, MemoryPlanQueue())
    # A limit below one trade's risk is refused at start, so both are tight here.
    deps.config = deps.config.model_copy(
        update={"daily_loss_limit_pct": 0.05, "max_risk_per_trade": 0.05}
    )
    t = utc("2024-03-12T13:31:00")
    tripped_at = None
    while t <= utc("2024-03-12T16:00:00"):
        run_tick(t, deps)
        if tripped_at is None and decode_state(state.load(engine_key(DAY))[0])["kill"]:
            tripped_at = t
            assert kill_switch_active(state, DAY)
        t += timedelta(minutes=1)
    assert tripped_at is not None, "the scenario must breach a 0.05% loss limit"
