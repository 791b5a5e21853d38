"""Duplicate, shuffled, late and stale deliveries to the executor.

SQS delivers at least once, in no particular order, sometimes minutes late (a backlog) or a
day late (a DLQ redrive); executors race. Each trial makes plans of today's session and of
earlier sessions, delivers each one to ``execute_plan`` one to four times at random
processing times (fresh, late but within ``max_age``, exactly at it, stale, the next
morning), shuffled across plans, some lookups racing (the broker has not seen the other
executor's submission yet), against the Alpaca stand-in's exchange in process.

Checked against the executor's rule restated independently (``harness.fresh``): every plan
has at most one broker order; an order exists only if the plan was fresh when it was placed;
a plan fresh at its first delivery is placed; exactly one delivery of a placed plan says
``submitted`` and the order row names the broker's order.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from llm_advisor.core.calendar import NY
from llm_advisor.core.models import Setup, Side, TradePlan
from llm_advisor.engine.ids import client_order_id

from .broker import ExchangeBroker, OrderBook, check_broker, deliver, fresh
from .harness import (
    DAY,
    MAX_PLAN_AGE,
    SYMBOLS,
    Tally,
    ny,
    run_trials,
)

NAME = "duplicate/shuffled/late/stale deliveries"
DAYS = (DAY - timedelta(days=7), DAY - timedelta(days=1), DAY)  # Tue, Mon, Tue


def _plan(rng: random.Random) -> TradePlan:
    day = rng.choices(DAYS, weights=(1, 2, 7))[0]
    signal = ny("09:31", day) + timedelta(minutes=rng.randrange(380))
    long = rng.random() < 0.5
    sym = rng.choice(SYMBOLS)
    setup = rng.choice([Setup.MR, Setup.TC])
    side = Side.LONG if long else Side.SHORT
    ref = round(rng.uniform(20, 500), 2)
    step = round(ref * 0.01, 2) or 0.01
    return TradePlan(
        client_order_id=client_order_id(day, sym, setup.value, side.value, signal),
        symbol=sym,
        side=side,
        setup=setup,
        qty=rng.randint(1, 200),
        ref_price=ref,
        stop_price=round(ref - step if long else ref + step, 2),
        target_price=round(ref + 1.5 * step if long else ref - 1.5 * step, 2),
        signal_time=signal,
        session_date=signal.astimezone(NY).date().isoformat(),
    )


def _delay(rng: random.Random) -> timedelta:
    """How long after the signal bar closed a delivery is processed."""
    kind = rng.choices(
        ["fresh", "late", "limit", "stale", "backlog", "next_day"], weights=(5, 3, 1, 2, 2, 1)
    )[0]
    seconds = {
        "fresh": rng.uniform(0.2, 15),
        "late": rng.uniform(15, MAX_PLAN_AGE.total_seconds()),
        "limit": MAX_PLAN_AGE.total_seconds() + rng.choice([-0.001, 0.0, 0.001, 1.0]),
        "stale": rng.uniform(MAX_PLAN_AGE.total_seconds(), 1800),
        "backlog": rng.uniform(1800, 6 * 3600),
        "next_day": rng.uniform(17, 20) * 3600,
    }[kind]
    return timedelta(seconds=seconds)


def run(trials: int, seed: int, only_trial: int | None = None) -> Tally:
    tally = Tally(
        NAME,
        "deliveries",
        "1-4 deliveries per plan (shuffled, racing lookups, fresh/late/at the limit/stale/"
        "earlier session): at most one broker order per plan, none placed stale, every plan "
        "fresh at its first delivery placed once, one `submitted` per placed plan",
    )

    def one(rng: random.Random, trial: int, t: Tally) -> None:
        drawn = [_plan(rng) for _ in range(rng.randint(3, 25))]
        plans = list({p.client_order_id: p for p in drawn}.values())  # one plan per signal
        deliveries = []
        for p in plans:
            close = p.signal_time + timedelta(minutes=1)
            # an earlier session's plan comes back (DLQ redrive) at the same time of day today
            base = close + timedelta(days=(DAY - date.fromisoformat(p.session_date)).days)
            for _ in range(rng.randint(1, 4)):
                deliveries.append((base + _delay(rng), rng.random(), p))
        deliveries.sort(key=lambda d: (d[0], d[1]))  # processing order: by time, ties shuffled
        broker, book, first = ExchangeBroker(deliveries[0][0]), OrderBook(), {}  # type: ignore[var-annotated]
        outcomes: dict[str, list[str]] = {}
        for at, _tie, p in deliveries:
            if rng.random() < 0.15:
                broker.race = 1  # this executor's lookup misses the other's order
            (done,) = deliver([p], at, broker, book, first)
            outcomes.setdefault(p.client_order_id, []).append(done.outcome)
            t.units += 1
            if done.outcome == "stale":
                t.count("refused stale")
            t.check(
                done.outcome != "submitted" or fresh(p, at),
                trial,
                f"{p.client_order_id} submitted at {at:%m-%d %H:%M:%S} although stale",
            )
        check_broker(t, trial, broker, first)
        placed = {o.client_order_id: o.id for o in broker.entries()}
        for cid, seen in outcomes.items():
            n = seen.count("submitted")
            want = 1 if cid in placed else 0
            t.check(n == want, trial, f"{cid}: {n} deliveries reported submitted ({seen})")
            if cid in placed:
                row = book.get_order(cid)
                t.check(
                    row is not None and row["broker_order_id"] == placed[cid],
                    trial,
                    f"{cid}: order row does not name the broker's order",
                )

    return run_trials(tally, trials, seed, one, only_trial)
