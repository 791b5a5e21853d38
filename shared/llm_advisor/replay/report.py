"""``report.html`` beside a replay's CSVs, and ``compare.html`` over ``--compare``'s runs.

A trader opens the file from disk: equity and drawdown, daily P/L, P/L by setup, side,
symbol and New York hour, the exit-reason mix, and a picker that draws one symbol-day at a
time (price, z, the thresholds in force, entries and exits). The numbers come from
``report_data`` (pure), the page from ``report_html``. Plotly is optional (the ``report``
extra): without it the report is written with its tables and a note, never a crash.

Building a report costs a recomputation of z for the symbol-days with signals and one
read of plotly.min.js (~4.8 MB, inlined once per file); ``replay --no-report`` skips it,
and the benchmarks, which call ``run_replay`` directly, never build one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from llm_advisor.replay.report_data import run_data
from llm_advisor.replay.report_html import render_compare, render_run

if TYPE_CHECKING:
    from llm_advisor.replay.runner import ReplayResult

REPORT = "report.html"
COMPARE = "compare.html"


def plotly_js() -> str | None:
    """plotly.min.js to inline, or None when Plotly is not installed (chartless report)."""
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        return None
    return str(get_plotlyjs())


def write_report(
    out_dir: Path,
    result: ReplayResult,
    bars: Mapping[str, pd.DataFrame] | None,
    title: str = "",
    *,
    analyst: str | None = None,
) -> Path:
    """Write ``out_dir/report.html`` for one replay and return its path.

    ``analyst``: what the page names as the analyst, when the result's name is not it
    (``--compare`` gives all its runs the analyst's name, its neutral run included)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = run_data(result, bars, title or default_title(result))
    if analyst is not None:
        data.update(analyst=analyst, run_id="")  # compare's runs share one run id
    path = out_dir / REPORT
    path.write_text(render_run(data, plotly_js()), encoding="utf-8")
    return path


def default_title(result: ReplayResult) -> str:
    who = result.analyst + (f" + validator {result.validator}" if result.validator else "")
    return f"Replay {who}"


def slug(label: str) -> str:
    """A run's folder name: ``analyst+validator`` -> ``analyst-validator``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-") or "run"


class CompareRecorder:
    """Wraps ``run_replay`` for ``attribution.compare`` and keeps each run's result.

    ``compare`` returns only the runs' statistics; the report needs their trades. A run
    is labelled by what it was given (no analyst: neutral; the shuffled advice: shuffled;
    a validator: analyst+validator; else analyst), so the labels do not depend on the
    order in which ``compare`` makes its runs."""

    def __init__(self, run: Callable[..., Any]) -> None:
        self._run = run
        self.runs: list[tuple[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = self._run(*args, **kwargs)
        self.runs.append((self.label_of(kwargs), result))
        return result

    @staticmethod
    def label_of(kwargs: Mapping[str, Any]) -> str:
        from llm_advisor.analysis.attribution import ShuffledAdvice

        analyst = kwargs.get("analyst")
        if analyst is None:
            return "neutral"
        if isinstance(analyst, ShuffledAdvice):
            return "shuffled"
        if kwargs.get("validator") is not None:
            return "analyst+validator"
        return "analyst"

    def labelled(self, labels: Sequence[str]) -> list[tuple[str, Any]]:
        """The runs under ``compare``'s own labels when they differ from ours but match
        in number (the order is then ``compare``'s); else under ours."""
        mine = [label for label, _ in self.runs]
        if set(mine) <= set(labels) or len(labels) != len(mine):
            return list(self.runs)
        return [(lab, r) for lab, (_, r) in zip(labels, self.runs, strict=True)]


def write_compare(
    out_dir: Path,
    runs: Sequence[tuple[str, ReplayResult]],
    text: str,
    bars: Mapping[str, pd.DataFrame] | None,
    *,
    report: bool = True,
) -> Path | None:
    """One subfolder per run (its CSVs, summary.json and report.html) and ``compare.html``
    at the top, linking them. ``report`` False: the CSVs only. Returns compare.html's path."""
    from llm_advisor.replay.outputs import write_outputs

    out_dir.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    for label, result in runs:
        sub = out_dir / slug(label)
        write_outputs(sub, result.trades, result.signals, result.summary)
        if not report:
            continue
        who = {
            "neutral": "none (multipliers 1.0)",
            "shuffled": f"{result.analyst}'s advices, shuffled in time",
        }.get(label, result.analyst)
        write_report(sub, result, bars, f"Replay comparison: the {label} run", analyst=who)
        d = run_data(result, None, label, with_symbol_days=False)
        entries.append(
            {
                "label": label,
                "href": f"{slug(label)}/{REPORT}",
                "summary": d["summary"],
                "advices": len(result.advices),
                **{k: d[k] for k in ("equity", "daily", "by_setup", "by_side", "exits")},
            }
        )
    if not report:
        return None
    first = runs[0][1] if runs else None
    meta = (
        f"{len(runs)} runs of the same sessions {first.sessions[0]}..{first.sessions[-1]}, "
        f"{len(first.symbols)} symbols"
        if first is not None and first.sessions
        else f"{len(runs)} runs"
    )
    data = {"title": "Replay comparison", "meta": meta, "text": text, "runs": entries}
    path = out_dir / COMPARE
    path.write_text(render_compare(data, plotly_js()), encoding="utf-8")
    return path
