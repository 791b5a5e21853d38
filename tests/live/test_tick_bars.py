"""Bad and late live bars through ``run_tick``: quarantined, waited for, held, or reported
late; never fed to the engine out of order, never stopping the tick, never in the state."""

from __future__ import annotations

import json
import math
import zlib
from datetime import timedelta

import pandas as pd
import pytest

from llm_advisor.live.tick import decode_state, encode_state, run_tick

from .support import (
    FakeTime,
    ScriptedFeed,
    at,
    engine_part,
    make_deps,
    run_ticks,
    strict_state,
    with_bar,
    without_bar,
)


def _ids(queue: object) -> list[str]:
    return [p.client_order_id for p in queue.plans]  # type: ignore[attr-defined]


def test_a_zero_price_bar_on_a_held_symbol_is_quarantined_and_every_later_tick_steps(
    frames: dict[str, pd.DataFrame],
) -> None:
    bad_minute = at("13:00")
    deps, state, queue, rec = make_deps(with_bar(frames, "SPY", bad_minute, open=0.0))
    ref, ref_state, ref_queue, ref_rec = make_deps(without_bar(frames, "SPY", bad_minute))
    run_tick(at("12:59"), deps)
    run_tick(at("12:59"), ref)
    assert 1 in [p["index"] for p in strict_state(state)["positions"]]  # SPY is held

    results = [*run_ticks(deps, at("13:00"), at("13:20")), run_tick(at("16:00"), deps)]
    run_ticks(ref, at("13:00"), at("13:20"))
    run_tick(at("16:00"), ref)

    assert [r.status for r in results] == ["stepped"] * len(results)
    assert all(r.minutes for r in results)  # every symbol's minutes kept coming
    bad = [q for r in results for q in r.quarantined]
    assert [(q.symbol, q.time, q.reason, q.open) for q in bad] == [
        ("SPY", bad_minute, "not_positive", 0.0)
    ]
    assert [(q.symbol, q.reason) for q, _ in rec.quarantine] == [("SPY", "not_positive")]
    assert rec.quarantine[0][1] == at("13:01")  # recorded by the tick that saw it
    # quarantined == never given to the engine: the day is the day without that bar
    assert engine_part(state) == engine_part(ref_state)
    assert _ids(queue) == _ids(ref_queue) and _ids(queue)
    assert len(rec.transitions) == len(ref_rec.transitions)


def test_inf_nan_zero_negative_and_crossed_bars_never_reach_the_strict_json_state(
    frames: dict[str, pd.DataFrame],
) -> None:
    bad = {
        ("SPY", "10:00"): {"high": math.inf},
        ("QQQ", "10:01"): {"close": math.nan},
        ("QQQ", "10:02"): {"low": -1.0},
        ("SPY", "10:03"): {"high": 1.0, "low": 2.0},
        ("SPY", "10:04"): {"volume": math.inf},
        ("QQQ", "10:05"): {"open": 0.0},
        ("SPY", "10:06"): {"close": -math.inf},
    }
    poisoned, clean = dict(frames), dict(frames)
    for (sym, hhmm), values in bad.items():
        poisoned = with_bar(poisoned, sym, at(hhmm), **values)
        clean = without_bar(clean, sym, at(hhmm))
    deps, state, _q, rec = make_deps(poisoned)
    ref, ref_state, _rq, _rr = make_deps(clean)
    t = at("09:31")
    while t <= at("10:15"):
        assert run_tick(t, deps).status == "stepped"
        run_tick(t, ref)
        strict_state(state)  # parses with NaN/Infinity refused, after every tick
        t += timedelta(minutes=1)
    assert sorted((q.symbol, q.time) for q, _ in rec.quarantine) == sorted(
        (sym, at(hhmm)) for sym, hhmm in bad
    )
    assert {q.reason for q, _ in rec.quarantine} == {
        "non_finite",
        "not_positive",
        "high_below_low",
    }
    assert engine_part(state) == engine_part(ref_state)


def test_the_state_codec_is_strict_json_and_round_trips_non_finite_values() -> None:
    state = {"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": {"d": math.nan}, "e": "NaN"}
    blob = encode_state(state)

    def refuse(name: str) -> None:
        raise ValueError(name)

    json.loads(zlib.decompress(blob), parse_constant=refuse)  # strict reader: fine
    back = decode_state(blob)
    assert math.isnan(back["a"]) and math.isnan(back["c"]["d"])
    assert back["b"] == [math.inf, -math.inf, 1.5] and back["e"] == "NaN"
    legacy = zlib.compress(b'{"a":NaN,"b":[Infinity,1.0]}')  # saved before the change
    assert math.isnan(decode_state(legacy)["a"]) and decode_state(legacy)["b"][0] == math.inf


def test_a_bar_published_seconds_late_is_waited_for_and_stepped_in_its_minute(
    frames: dict[str, pd.DataFrame],
) -> None:
    clock = FakeTime()
    feed = ScriptedFeed(frames)
    feed.hide[("SPY", at("10:00"))] = 1  # missing at 10:01:00, there on the first poll
    deps, state, queue, rec = make_deps(frames, feed, clock.wait(5.0))
    ref, ref_state, ref_queue, _r = make_deps(frames)
    run_ticks(deps, at("09:31"), at("10:00"))
    run_ticks(ref, at("09:31"), at("10:00"))
    assert clock.slept == []  # nothing missing, nothing waited for

    res = run_tick(at("10:01"), deps)
    run_tick(at("10:01"), ref)
    assert res.minutes == [at("10:00")] and res.held is None and res.bar_polls == 1
    assert clock.slept == [1.0]
    assert feed.calls[-1] == (("SPY",), at("10:00"), at("10:01"))  # only the missing one
    run_ticks(deps, at("10:02"), at("10:30"))
    run_ticks(ref, at("10:02"), at("10:30"))
    assert engine_part(state) == engine_part(ref_state)
    assert _ids(queue) == _ids(ref_queue)
    assert rec.quarantine == []


def test_a_minute_still_incomplete_after_the_wait_is_held_and_stepped_in_order_next_tick(
    frames: dict[str, pd.DataFrame],
) -> None:
    clock = FakeTime()
    feed = ScriptedFeed(frames)
    feed.hide[("SPY", at("10:00"))] = 3  # the tick's fetch and both polls miss it
    deps, state, queue, _rec = make_deps(frames, feed, clock.wait(2.0))
    ref, ref_state, ref_queue, _r = make_deps(frames)
    run_ticks(deps, at("09:31"), at("10:00"))
    run_ticks(ref, at("09:31"), at("10:00"))

    held = run_tick(at("10:01"), deps)
    assert held.held == at("10:00") and held.minutes == [] and held.status == "up_to_date"
    assert sum(clock.slept) == 2.0 and held.bar_polls == 2  # bounded by bar_wait_seconds
    assert decode_state(state.load(f"engine#{at('10:00').date()}")[0])["last_minute"] == (
        "2024-03-12T13:59:00Z"
    )
    nxt = run_tick(at("10:02"), deps)
    assert nxt.minutes == [at("10:00"), at("10:01")] and nxt.held is None
    assert nxt.late == [] and nxt.quarantined == []
    run_tick(at("10:01"), ref)
    run_tick(at("10:02"), ref)
    run_ticks(deps, at("10:03"), at("10:30"))
    run_ticks(ref, at("10:03"), at("10:30"))
    assert engine_part(state) == engine_part(ref_state)  # every bar, each minute once
    assert _ids(queue) == _ids(ref_queue)


@pytest.mark.parametrize(
    ("wait", "hidden"),
    [(None, 1), (2.0, 4)],
    ids=["no-wait", "after-a-held-minute"],
)
def test_a_bar_that_comes_after_its_minute_was_stepped_is_counted_late_and_never_fed(
    frames: dict[str, pd.DataFrame], wait: float | None, hidden: int
) -> None:
    clock = FakeTime()
    feed = ScriptedFeed(frames)
    feed.hide[("SPY", at("10:00"))] = hidden
    deps, state, _q, rec = make_deps(frames, feed, None if wait is None else clock.wait(wait))
    ref, ref_state, _rq, _rr = make_deps(without_bar(frames, "SPY", at("10:00")))
    results = run_ticks(deps, at("09:31"), at("10:30"))
    run_ticks(ref, at("09:31"), at("10:30"))

    late = [(r.now, q) for r in results for q in r.late]
    assert len(late) == 1  # counted once, by the first tick that saw it
    seen_at, bar = late[0]
    assert (bar.symbol, bar.time, bar.reason) == ("SPY", at("10:00"), "late")
    assert bar.close == frames["SPY"].loc[pd.Timestamp(at("10:00")), "close"]
    assert [(q.symbol, q.reason, when) for q, when in rec.quarantine] == [("SPY", "late", seen_at)]
    assert engine_part(state) == engine_part(ref_state)  # not fed, not out of order


def test_the_minute_counts_as_published_once_most_expected_bars_are_in() -> None:
    """A thin symbol that traded a minute ago and not now must not delay every symbol."""
    import numpy as np

    wait = FakeTime().wait(5.0)
    expected = np.array([True] * 10)
    one_missing = np.array([True] + [False] * 9)
    half_missing = np.array([True] * 5 + [False] * 5)
    assert wait.published(one_missing, expected)  # 90% in: published, no wait, no hold
    assert not wait.published(half_missing, expected)  # 50% in: the feed is behind
    assert wait.published(np.zeros(10, bool), np.zeros(10, bool))  # nothing expected
    lone = np.array([True])
    assert not wait.published(lone, lone)  # one symbol: its own bar decides


def test_one_thin_symbols_missing_bar_among_many_neither_waits_nor_holds(
    frames: dict[str, pd.DataFrame],
) -> None:
    from dataclasses import replace

    clock = FakeTime()
    feed = ScriptedFeed(frames)
    feed.hide[("SPY", at("10:00"))] = 99  # SPY did not trade at 10:00 (never published)
    # with every other symbol in, a low published share calls the minute published
    deps, _state, _queue, _rec = make_deps(
        frames, feed, replace(clock.wait(5.0), published_share=0.5)
    )
    run_ticks(deps, at("09:31"), at("10:00"))
    res = run_tick(at("10:01"), deps)
    assert res.minutes == [at("10:00")] and res.held is None
    assert clock.slept == [] and res.bar_polls == 0
