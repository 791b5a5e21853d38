"""A sweep in the database: one ``sweep`` run, one child ``sweep`` run per trial.

The parent's summary is the sweep summary (objective, best, deflated Sharpe, walk-forward;
the per-trial rows live in the children). Each child holds its trial's settings as its
config, its summary figures, its closed trades and its session-close equity, and points
at the parent through ``runs.parent_run_id`` (migration 0010). Signals and transitions are
not stored per trial: ``replay --set ...`` with the child's settings reproduces them.
Recording the same sweep again replaces it (delete, then insert, per run).
``load_sweep`` puts the summary back together from the parent and its children, so
``sweep --from-db`` can redraw a stored sweep's outputs after ``--out`` is gone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.core.models import Trade
from llm_advisor.storage.records import RunRecord
from llm_advisor.storage.replay_store import code_version
from llm_advisor.storage.repository import Repository
from llm_advisor.sweep.data import DataSpec
from llm_advisor.sweep.trial import TrialResult


def child_run_id(sweep_id: str, trial_id: str) -> str:
    return f"sweep-{sweep_id}-{trial_id}"


def record_sweep(
    repo: Repository,
    sweep_id: str,
    summary: Mapping[str, Any],
    results: Sequence[TrialResult],
    data: DataSpec,
    symbols: Sequence[str],
    now: datetime,
) -> str:
    parent = f"sweep-{sweep_id}"
    base = StrategyConfig().with_overrides(data.base)
    head = {k: v for k, v in summary.items() if k not in ("rows",)}
    obj = summary["objective"]["name"]
    repo.delete_run(parent)
    repo.save_run(
        RunRecord(
            run_id=parent,
            mode="replay",
            kind="sweep",
            label=f"sweep {len(results)} trials {obj} {data.start}..{data.end}",
            config_hash=base.config_hash(),
            config=base.model_dump(mode="json"),
            code_version=code_version(),
            start_date=data.start,
            end_date=data.end,
            symbols=list(symbols),
            summary=head,
            created_at=now,
        )
    )
    rows = {r["trial_id"]: r for r in summary["rows"]}
    for r in results:
        run_id = child_run_id(sweep_id, r.trial_id)
        cfg = base.with_overrides(r.settings)
        repo.delete_run(run_id)
        repo.save_run(
            RunRecord(
                run_id=run_id,
                mode="replay",
                kind="sweep",
                label=f"trial {r.trial_id}: " + " ".join(f"{k}={v}" for k, v in r.settings.items()),
                config_hash=cfg.config_hash(),
                config=cfg.model_dump(mode="json"),
                code_version=code_version(),
                start_date=data.start,
                end_date=data.end,
                symbols=list(symbols),
                summary=dict(rows.get(r.trial_id, {})),
                created_at=now,
            )
        )
        repo.save_trades([Trade.model_validate(t) for t in r.trades], run_id=run_id)
        closes = [_close(d) for d in r.sessions]
        repo.save_equity_snapshots(
            [(c, Decimal(e)) for c, e in zip(closes, r.equity, strict=True)], run_id=run_id
        )
    with repo.db.transaction() as cur:
        cur.executemany(
            "UPDATE runs SET parent_run_id = ? WHERE run_id = ?",
            [(parent, child_run_id(sweep_id, r.trial_id)) for r in results],
        )
    return parent


def _close(day: str) -> datetime:
    from llm_advisor.core.calendar import make_session

    return make_session(date.fromisoformat(day)).close


def child_runs(repo: Repository, parent_run_id: str) -> list[str]:
    """The trial runs of a sweep, by run_id (linked through ``runs.parent_run_id``)."""
    with repo.db.transaction() as cur:
        cur.execute(
            "SELECT run_id FROM runs WHERE parent_run_id = ? ORDER BY run_id", (parent_run_id,)
        )
        return [str(r[0]) for r in cur.fetchall()]


def load_sweep(repo: Repository, parent_run_id: str) -> tuple[dict[str, Any], list[str]]:
    """A stored sweep's summary (the parent's, with the children's rows, best rank first)
    and its trial run ids in the same order; ``UserError`` when ``parent_run_id`` is not a
    stored sweep with trials."""
    parent = repo.get_run(parent_run_id)
    if parent is None or parent.kind != "sweep":
        raise UserError(f"--from-db {parent_run_id}: no stored sweep run of that id")
    trials: list[tuple[dict[str, Any], str]] = []
    for run_id in child_runs(repo, parent_run_id):
        child = repo.get_run(run_id)
        if child is not None:
            trials.append((dict(child.summary), run_id))
    if not trials:
        raise UserError(f"--from-db {parent_run_id}: a trial run, not a sweep (no trial runs)")
    trials.sort(key=lambda t: (t[0].get("rank", len(trials) + 1), t[1]))
    return {**parent.summary, "rows": [row for row, _ in trials]}, [r for _, r in trials]
