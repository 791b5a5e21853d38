"""The tick under crashes and overlaps, with its plans delivered to the real executor.

*Crash between side effects*: an invocation dies at a random point of ``run_tick`` (after
the plans were published, while recording transitions, signals or the minute log, before or
after the state save) and is run again, sometimes dying again. Its plans go to the executor
on the stand-in exchange after every invocation, as SQS would deliver them.

*Overlapping ticks*: a second invocation of the same (or the next) minute runs to the end
while the first is between its load and its save, as a retried or doubly scheduled Lambda
does. Exactly one saves; the other meets the version condition (``ConflictError``).

Both must leave the state, the published plans (ids and contents) and the records exactly as
an uninterrupted run does, with at most one broker order per plan.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from llm_advisor.core.models import TradePlan
from llm_advisor.live.tick import TickResult, run_tick
from llm_advisor.local.stores import MemoryStateStore

from .broker import ExchangeBroker, OrderBook, check_broker, deliver
from .harness import (
    MARKETS,
    Recorder,
    ScriptedFeed,
    Tally,
    engine_part,
    keys,
    make_deps,
    market,
    run_trials,
    tick_times,
)

CRASH = "crash between side effects"
OVERLAP = "overlapping ticks"
POINTS = ("publish", "save_transitions", "save_signals", "save_minute_log", "save", "after_save")


class InvocationKilledError(RuntimeError):
    """The invocation was killed (Lambda timeout, container gone)."""


class Trap:
    """Fires ``action`` the first time the armed point is reached (then disarms)."""

    def __init__(self) -> None:
        self.point: str | None = None
        self.action: Callable[[], None] = self._die
        self.fired = 0

    @staticmethod
    def _die() -> None:
        raise InvocationKilledError("invocation killed")

    def at(self, point: str) -> None:
        if self.point == point:
            self.point = None
            self.fired += 1
            self.action()


class TrapState(MemoryStateStore):
    def __init__(self, trap: Trap) -> None:
        super().__init__()
        self.trap = trap

    def save(self, key: str, blob: bytes, expected_version: int | None) -> int:
        if key.startswith("engine#"):
            self.trap.at("save")
        version = super().save(key, blob, expected_version)
        if key.startswith("engine#"):
            self.trap.at("after_save")
        return version


class TrapQueue:
    """Publishes, then maybe dies: the plans are in the queue, the state is not saved."""

    def __init__(self, trap: Trap | None) -> None:
        self.trap = trap
        self.plans: list[TradePlan] = []
        self.sent = 0  # plans not yet handed to the executor start here

    def publish(self, plans: Sequence[TradePlan]) -> int:
        self.plans.extend(plans)
        if self.trap is not None:
            self.trap.at("publish")
        return len(plans)

    def take(self) -> list[TradePlan]:
        out, self.sent = self.plans[self.sent :], len(self.plans)
        return out


class TrapRecorder(Recorder):
    def __init__(self, trap: Trap | None) -> None:
        super().__init__()
        self.trap = trap

    def _at(self, point: str) -> None:
        if self.trap is not None:
            self.trap.at(point)

    def save_transitions(self, transitions: Any) -> int:
        self._at("save_transitions")
        return super().save_transitions(transitions)

    def save_signals(self, signals: Any) -> int:
        self._at("save_signals")
        return super().save_signals(signals)

    def save_minute_log(self, minutes: Any) -> int:
        self._at("save_minute_log")
        return super().save_minute_log(minutes)


def _reference(
    cache: dict[tuple[int, tuple[datetime, ...]], tuple[str, list[TradePlan], Recorder]],
    index: int,
    times: list[datetime],
) -> tuple[str, list[TradePlan], Recorder]:
    """The uninterrupted run of the same ticks (cached per experiment run only)."""
    key = (index, tuple(times))
    if key not in cache:
        queue, rec = TrapQueue(None), TrapRecorder(None)
        deps = make_deps(index, ScriptedFeed(market(index)), plans=queue, records=rec)
        for t in times:
            run_tick(t, deps)
        cache[key] = (engine_part(deps.state), queue.plans, rec)
    return cache[key]


def _compare(
    t: Tally,
    trial: int,
    state: MemoryStateStore,
    plans: list[TradePlan],
    rec: Recorder,
    ref: tuple[str, list[TradePlan], Recorder],
) -> None:
    ref_state, ref_plans, ref_rec = ref
    t.check(engine_part(state) == ref_state, trial, "final engine state differs from the reference")
    want = {p.client_order_id: p for p in ref_plans}
    got_ids = [p.client_order_id for p in plans]
    t.check(
        set(got_ids) == set(want),
        trial,
        f"published ids {sorted(set(got_ids) ^ set(want))[:3]} differ from the reference",
    )
    for p in plans:
        if p.client_order_id in want and p != want[p.client_order_id]:
            t.fail(trial, f"republished {p.client_order_id} with other contents")
    t.check(keys(rec.transitions) == keys(ref_rec.transitions), trial, "transitions differ")
    t.check(keys(rec.signals) == keys(ref_rec.signals), trial, "signals differ")


def run_crashes(trials: int, seed: int, only_trial: int | None = None) -> Tally:
    tally = Tally(
        CRASH,
        "crashes",
        "tick killed after publish / in a record write / before or after the save, then "
        "rerun: state, plan ids and contents, records equal an uninterrupted run; at most "
        "one broker order per plan",
    )
    cache: dict[tuple[int, tuple[datetime, ...]], tuple[str, list[TradePlan], Recorder]] = {}

    def one(rng: random.Random, trial: int, t: Tally) -> None:
        index = rng.randrange(MARKETS)
        times = tick_times(rng)
        ref = _reference(cache, index, times)
        trap = Trap()
        state, queue, rec = TrapState(trap), TrapQueue(trap), TrapRecorder(trap)
        deps = make_deps(index, ScriptedFeed(market(index)), state, queue, rec)
        broker, book, first = ExchangeBroker(times[0]), OrderBook(), {}  # type: ignore[var-annotated]
        p_crash = rng.choice([0.2, 0.4, 0.7])
        for now in times:
            attempt = 0
            while True:
                trap.point = rng.choice(POINTS) if rng.random() < p_crash / (1 + attempt) else None
                before = trap.fired
                try:
                    run_tick(now, deps)
                    died = False
                except InvocationKilledError:
                    died = True
                t.units += trap.fired - before
                at = now + timedelta(seconds=rng.uniform(0.5, 20))
                deliver(queue.take(), at, broker, book, first)
                if not died:
                    break
                attempt += 1
        _compare(t, trial, state, queue.plans, rec, ref)
        check_broker(t, trial, broker, first, {p.client_order_id for p in ref[1]})

    return run_trials(tally, trials, seed, one, only_trial)


def run_overlaps(trials: int, seed: int, only_trial: int | None = None) -> Tally:
    tally = Tally(
        OVERLAP,
        "overlaps",
        "a second tick (same or next minute) runs to the end inside the first: one saves, "
        "the other gets ConflictError; state and plans equal a single run; at most one "
        "broker order per plan",
    )
    cache: dict[tuple[int, tuple[datetime, ...]], tuple[str, list[TradePlan], Recorder]] = {}

    def one(rng: random.Random, trial: int, t: Tally) -> None:
        index = rng.randrange(MARKETS)
        times = tick_times(rng)
        ref = _reference(cache, index, times)
        trap = Trap()
        state = TrapState(trap)
        queue_a, rec_a = TrapQueue(trap), TrapRecorder(trap)
        queue_b, rec_b = TrapQueue(None), TrapRecorder(None)
        feed = ScriptedFeed(market(index))
        deps_a = make_deps(index, feed, state, queue_a, rec_a)
        deps_b = make_deps(index, feed, state, queue_b, rec_b)
        broker, book, first = ExchangeBroker(times[0]), OrderBook(), {}  # type: ignore[var-annotated]
        second: list[TickResult] = []

        def overlap(when: datetime) -> Callable[[], None]:
            return lambda: second.append(run_tick(when, deps_b))

        for i, now in enumerate(times):
            second.clear()
            later = rng.random() < 0.3 and i + 1 < len(times)
            when = times[i + 1] if later else now
            if rng.random() < 0.35:
                trap.point = rng.choice(POINTS[:-1])  # anywhere between load and save
                trap.action = overlap(when)
            else:
                trap.point = None
            first_res = run_tick(now, deps_a)
            if trap.point is not None:  # not reached (nothing to publish/record): no overlap
                trap.point = None
            if second:
                t.units += 1
                statuses = sorted([first_res.status, second[0].status])
                t.check(
                    statuses == ["conflict", "stepped"],
                    trial,
                    f"overlap at {now:%H:%M} (+{when - now}): statuses {statuses}",
                )
                t.count("next-minute overlaps", when != now)
            at = now + timedelta(seconds=rng.uniform(0.5, 20))
            deliver(queue_a.take() + queue_b.take(), at, broker, book, first)
        merged = TrapRecorder(None)
        merged.transitions = rec_a.transitions + rec_b.transitions
        merged.signals = rec_a.signals + rec_b.signals
        _compare(t, trial, state, queue_a.plans + queue_b.plans, merged, ref)
        check_broker(t, trial, broker, first, {p.client_order_id for p in ref[1]})

    return run_trials(tally, trials, seed, one, only_trial)
