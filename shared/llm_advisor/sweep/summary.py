"""The reduction: trial results -> ranked table, best settings, sensitivity, deflated
Sharpe, walk-forward and ``results.csv``. Shared by the CLI and the reducer Lambda, so a
sweep's summary is the same whichever executor ran it."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from llm_advisor.sweep.metrics import Objective, deflated_sharpe, sharpe
from llm_advisor.sweep.trial import TrialResult
from llm_advisor.sweep.walkforward import walk_forward

CSV_FIGURES = (
    "trades",
    "wins",
    "win_rate",
    "pnl",
    "max_drawdown",
    "max_drawdown_pct",
    "sharpe",
    "score",
    "rank",
    "run_id",
    "seconds",
)


def clean(x: Any) -> Any:
    """JSON-safe: non-finite floats (an ineligible trial's -inf score) become null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [clean(v) for v in x]
    return x


def _num(v: str) -> float | str:
    try:
        return float(v)
    except ValueError:
        return v


def score_of(r: TrialResult, objective: Objective) -> float:
    return objective.score(float(r.pnl), r.returns(), r.max_drawdown_pct)


def sensitivity(
    rows: Sequence[Mapping[str, Any]], best: Mapping[str, Any], keys: Sequence[str]
) -> list[dict[str, Any]]:
    """For each setting, the objective one step below and above the best value (the
    neighbouring values among trials that equal the best on every other setting)."""
    out: list[dict[str, Any]] = []
    for k in keys:
        others = [o for o in keys if o != k]
        same = [r for r in rows if all(r["settings"][o] == best["settings"][o] for o in others)]
        values = sorted({r["settings"][k] for r in same}, key=_num)
        i = values.index(best["settings"][k])
        entry: dict[str, Any] = {"setting": k, "best": best["settings"][k]}
        for side, j in (("below", i - 1), ("above", i + 1)):
            if 0 <= j < len(values):
                n = next(r for r in same if r["settings"][k] == values[j])
                entry[side] = {"value": values[j], "score": n["score"]}
                delta = (n["score"] or -math.inf) - (best["score"] or 0.0)
                entry[f"{side}_change"] = delta
            else:
                entry[side] = None
        out.append(entry)
    return out


def summarize_sweep(
    results: Sequence[TrialResult],
    objective: Objective,
    meta: Mapping[str, Any],
    walk: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Everything the report and ``results.csv`` show, JSON-ready."""
    keys = list(dict.fromkeys(k for r in results for k in r.settings))
    scores = [score_of(r, objective) for r in results]
    order = sorted(
        range(len(results)), key=lambda i: -scores[i] if math.isfinite(scores[i]) else math.inf
    )
    rank = {i: n + 1 for n, i in enumerate(order)}
    rows = []
    for i, r in enumerate(results):
        rows.append(
            {
                "trial_id": r.trial_id,
                "settings": r.settings,
                "trades": r.n_trades,
                "wins": r.wins,
                "win_rate": r.win_rate,
                "pnl": r.pnl,
                "max_drawdown": r.max_drawdown,
                "max_drawdown_pct": r.max_drawdown_pct,
                "sharpe": r.sharpe,
                "score": scores[i],
                "rank": rank[i],
                "run_id": r.run_id,
                "seconds": r.seconds,
            }
        )
    eligible = [i for i in order if math.isfinite(scores[i])]
    best = rows[eligible[0]] if eligible else None
    out: dict[str, Any] = {
        **meta,
        "objective": {"name": objective.name, "max_drawdown_pct": objective.max_drawdown_pct},
        "settings_keys": keys,
        "n_trials": len(results),
        "eligible": len(eligible),
        "rows": rows,
        "best": best,
        "sensitivity": sensitivity(rows, best, keys) if best else [],
        "trial_seconds": sum(r.seconds for r in results),
    }
    if best is not None:
        chosen = results[eligible[0]]
        ds = deflated_sharpe(
            chosen.returns(), [sharpe(r.returns(), annualize=False) for r in results]
        )
        out["deflated_sharpe"] = {
            "sharpe_per_session": ds.sharpe,
            "sharpe_annualized": chosen.sharpe,
            "expected_max_sharpe_per_session": ds.benchmark,
            "dsr": ds.dsr,
            "n_trials": ds.n_trials,
            "n_sessions": ds.n_returns,
        }
        out["best_curve"] = {
            "sessions": chosen.sessions,
            "equity": [float(e) for e in chosen.equity],
        }
    if walk is not None:
        out["walk_forward"] = walk_forward(results, objective, *walk).to_json()
    return clean(out)  # type: ignore[no-any-return]


def results_csv(summary: Mapping[str, Any]) -> str:
    """One row per trial: its settings, then the figures."""
    keys = list(summary["settings_keys"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["trial_id", *keys, *CSV_FIGURES])
    for r in summary["rows"]:
        figures = ["" if r[c] is None else r[c] for c in CSV_FIGURES]
        w.writerow([r["trial_id"], *(r["settings"].get(k, "") for k in keys), *figures])
    return buf.getvalue()


def dumps(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, indent=1, sort_keys=False)


def render_text(summary: Mapping[str, Any]) -> list[str]:
    """The closing lines the CLI prints."""
    lines = [
        f"sweep {summary.get('sweep_id', '')}: {summary['n_trials']} trials, "
        f"{summary['eligible']} eligible, objective {summary['objective']['name']}"
    ]
    best = summary.get("best")
    if best:
        sets = " ".join(f"{k}={v}" for k, v in best["settings"].items())
        lines.append(
            f"best {best['trial_id']}: {sets}  trades {best['trades']}  P/L {best['pnl']}  "
            f"Sharpe {best['sharpe']:.2f}  max DD {best['max_drawdown_pct']:.2f}%"
        )
    ds = summary.get("deflated_sharpe")
    if ds and ds["dsr"] is not None:
        lines.append(
            f"deflated Sharpe ratio {ds['dsr']:.3f} over {ds['n_trials']} trials "
            "(probability the best beats luck; < 0.95: no evidence of an edge)"
        )
    wf = summary.get("walk_forward")
    if wf:
        lines.append(
            f"walk-forward train={wf['train']} test={wf['test']}: {len(wf['folds'])} folds, "
            f"out-of-sample {wf['oos_return_pct']:+.2f}% (Sharpe {wf['oos_sharpe']:.2f}) vs "
            f"in-sample best {wf['in_sample_return_pct']:+.2f}% on the same sessions"
        )
    return lines
