"""The truth report end to end: gather the live day, replay the model, diff, store, alert.

The entry points (``truth --date``, the scheduled Lambda) differ only in where the bars, the
premarket context and the live state come from; they pass those in as callables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pandas as pd

from llm_advisor.core.calendar import NY, is_session, previous_session
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.core.ports import Alert
from llm_advisor.truth.alert import Thresholds, send_alert, truth_alert
from llm_advisor.truth.diff import diff_day
from llm_advisor.truth.gather import Gatherer
from llm_advisor.truth.model import ModelInputs, replay_day
from llm_advisor.truth.records import TruthReport
from llm_advisor.truth.store import TruthStore

# symbols, start, end (UTC) -> 1-minute frames (the market-data port's get_bars shape)
BarFetcher = Callable[[Sequence[str], datetime, datetime], Mapping[str, pd.DataFrame]]


@dataclass
class TruthOutcome:
    report: TruthReport
    alert: Alert | None
    alerted: bool


def history_start(day: date, sessions: int) -> datetime:
    d = day
    for _ in range(max(1, sessions)):
        d = previous_session(d)
    return datetime.combine(d, time(0), tzinfo=NY).astimezone(UTC)


def run_truth(
    repo: Any,
    run_id: str,
    day: date,
    config: StrategyConfig,
    fetch_bars: BarFetcher,
    now: datetime,
    *,
    context: Any = None,
    account: Any = None,
    history_sessions: int = 40,
    thresholds: Thresholds | None = None,
    watch: Any = None,
    store: bool = True,
) -> TruthOutcome:
    """The day's report for ``run_id``; rows written unless ``store`` is off.

    ``context``: the day's premarket ``SessionContext`` (snapshots, biases, news, VIX) or
    None (snapshots rebuilt from ``history_sessions`` of bars). ``account``: the live
    state's ``SessionAccount`` or None (the equity of the day's first signal, else the
    config's starting equity)."""
    if not is_session(day):
        raise UserError(f"date={day.isoformat()} is not an XNYS session")
    g = Gatherer(repo)
    if not g.run_exists(run_id):
        raise UserError(f"run={run_id!r}: no such run in the database")
    live = g.live_day(run_id, day)
    inputs = g.inputs(run_id, day, live)
    if not (live.signals or live.orders or live.logged_minutes or live.trades):
        raise UserError(f"date={day.isoformat()}: run {run_id!r} recorded nothing that day")
    symbols = inputs.symbols
    if not symbols:
        raise UserError(f"date={day.isoformat()}: no symbols recorded for run {run_id!r}")
    end = datetime.combine(day, time(20, 0), tzinfo=NY).astimezone(UTC)
    frames = fetch_bars(symbols, history_start(day, history_sessions), end)
    bars = {s: f for s, f in frames.items() if f is not None and not f.empty}
    if not bars:
        raise UserError(f"date={day.isoformat()}: the feed returned no bars for {symbols}")
    start_equity: Decimal | None = None
    if account is None:
        start_equity = inputs.first_signal_equity or Decimal(str(config.starting_equity))
    snaps = context.snapshots() if context is not None else None
    model = replay_day(
        ModelInputs(
            day=day,
            config=config,
            bars=bars,
            advices=inputs.advices,
            verdicts=inputs.verdicts,
            snapshots=snaps,
            biases=context.daily_bias() if context is not None else inputs.biases,
            news_summary=context.news_summary() if context is not None else "",
            vix=context.vix() if context is not None else None,
            account=account,
            start_equity=start_equity,
        )
    )
    report = diff_day(live, model)
    if store:
        TruthStore(repo).save(report, now)
    alert = truth_alert(report, thresholds or Thresholds(), now)
    alerted = send_alert(alert, watch)
    return TruthOutcome(report, alert, alerted)


def live_account(state: Any, day: date) -> Any:
    """The live state's start-of-day account figures (``SessionAccount``), or None when
    the day's engine state is gone or was sized without a broker."""
    from llm_advisor.live.engine import Engine
    from llm_advisor.live.tick import decode_state, engine_key

    stored = state.load(engine_key(day))
    if stored is None:
        return None
    return Engine.from_state(decode_state(stored[0])).account
