"""``report.html``: one self-contained file (no network) from a sweep summary.

Charts use Plotly with its JavaScript inlined (``include_plotlyjs=True``, about 4.7 MB),
so the file opens offline and can be mailed around. Plotly is an optional dependency (the
``report`` extra, not in the Lambda layer): without it the same report is written with
its tables only and a line saying how to get the charts (``sweep --report-from``).
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

MAX_AXIS_VALUES = 12


def _esc(x: Any) -> str:
    return html.escape(str(x))


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return str(x)


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    th = "".join(f"<th>{_esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_esc(_fmt(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _axis(values: Sequence[str]) -> tuple[list[str], Any]:
    """Sorted distinct values, binned into ranges when a random search drew many."""

    def num(v: str) -> float:
        return float(v)

    try:
        distinct = sorted(set(values), key=num)
    except ValueError:
        distinct = sorted(set(values))
        return distinct, distinct.index
    if len(distinct) <= MAX_AXIS_VALUES:
        return distinct, distinct.index
    lo, hi = num(distinct[0]), num(distinct[-1])
    n = MAX_AXIS_VALUES
    step = (hi - lo) / n
    labels = [f"{lo + i * step:.3g}..{lo + (i + 1) * step:.3g}" for i in range(n)]
    return labels, lambda v: min(int((num(v) - lo) / step), n - 1)


def heat_matrix(
    rows: Sequence[Mapping[str, Any]], kx: str, ky: str
) -> tuple[list[str], list[str], list[list[float | None]]]:
    """The best objective over every trial at each (kx, ky) cell (other settings free)."""
    xs, xi = _axis([r["settings"][kx] for r in rows])
    ys, yi = _axis([r["settings"][ky] for r in rows])
    z: list[list[float | None]] = [[None] * len(xs) for _ in ys]
    for r in rows:
        s = r["score"]
        if s is None:
            continue
        i, j = yi(r["settings"][ky]), xi(r["settings"][kx])
        cur = z[i][j]
        z[i][j] = s if cur is None else max(cur, s)
    return xs, ys, z


def _charts(summary: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """(section id, title, plotly figure) for every chart of the report."""
    import plotly.graph_objects as go

    rows = summary["rows"]
    obj = summary["objective"]["name"]
    out: list[tuple[str, str, Any]] = []
    for kx, ky in itertools.combinations(summary["settings_keys"], 2):
        xs, ys, z = heat_matrix(rows, kx, ky)
        fig = go.Figure(go.Heatmap(x=xs, y=ys, z=z, colorscale="RdYlGn", colorbar={"title": obj}))
        fig.update_layout(
            xaxis_title=kx,
            yaxis_title=ky,
            xaxis_type="category",
            yaxis_type="category",
            height=380,
            margin={"t": 30},
        )
        out.append((f"heat-{kx}-{ky}", f"{obj}: {ky} vs {kx} (best over the other settings)", fig))
    scores = [r["score"] for r in rows if r["score"] is not None]
    fig = go.Figure(go.Histogram(x=scores, nbinsx=min(40, max(5, len(scores) // 2))))
    fig.update_layout(xaxis_title=obj, yaxis_title="trials", height=320, margin={"t": 30})
    out.append(("distribution", f"Distribution of {obj} over {len(rows)} trials", fig))
    curve = summary.get("best_curve")
    if curve:
        fig = go.Figure(go.Scatter(x=curve["sessions"], y=curve["equity"], name="best"))
        fig.update_layout(yaxis_title="equity at the close", height=320, margin={"t": 30})
        out.append(("best-curve", "Equity of the best settings (in sample)", fig))
    wf = summary.get("walk_forward")
    if wf and wf["sessions"]:
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=wf["sessions"], y=wf["oos_equity"], name="walk-forward (OOS)"))
        fig.add_trace(
            go.Scatter(
                x=wf["sessions"],
                y=wf["in_sample_equity"],
                name="in-sample best (hindsight)",
                line={"dash": "dash"},
            )
        )
        fig.update_layout(yaxis_title="equity", height=340, margin={"t": 30})
        out.append(("walk-forward-curve", "Stitched out-of-sample equity vs in-sample best", fig))
    return out


def _head(summary: Mapping[str, Any]) -> list[str]:
    """Best settings, the deflated Sharpe ratio and the sensitivity table."""
    parts: list[str] = []
    best = summary.get("best")
    ds = summary.get("deflated_sharpe")
    if best:
        sets = ", ".join(f"{k}={v}" for k, v in best["settings"].items())
        parts.append(
            f"<h2>Best settings</h2><p id='best'><b>{_esc(sets)}</b>: {best['trades']} trades, "
            f"P/L {_esc(best['pnl'])}, Sharpe {_fmt(best['sharpe'])}, max drawdown "
            f"{_fmt(best['max_drawdown_pct'])}%</p>"
        )
    if ds:
        parts.append(
            f"<p id='dsr'>Deflated Sharpe ratio <b>{_fmt(ds['dsr'], 3)}</b> over "
            f"{ds['n_trials']} trials and {ds['n_sessions']} sessions (per-session Sharpe "
            f"{_fmt(ds['sharpe_per_session'], 3)} vs "
            f"{_fmt(ds['expected_max_sharpe_per_session'], 3)} "
            "expected from the luckiest of as many skill-less trials). Below 0.95 the best "
            "trial is not evidence of an edge.</p>"
        )
    sens = summary.get("sensitivity") or []
    if sens:
        rows = [
            [
                s["setting"],
                s["best"],
                (s["below"] or {}).get("value"),
                s.get("below_change"),
                (s["above"] or {}).get("value"),
                s.get("above_change"),
            ]
            for s in sens
        ]
        parts.append(
            "<h3>Sensitivity: the objective one step away</h3>"
            + _table(
                ["setting", "best", "step below", "change", "step above", "change"], rows, "sens"
            )
        )
    return parts


def _tail(summary: Mapping[str, Any]) -> list[str]:
    """The walk-forward table and the trials table."""
    keys = summary["settings_keys"]
    parts: list[str] = []
    wf = summary.get("walk_forward")
    if wf:
        rows = [
            [
                f"{f['train'][0]}..{f['train'][1]}",
                f"{f['test'][0]}..{f['test'][1]}",
                ", ".join(f"{k}={v}" for k, v in f["settings"].items()) or "(none eligible)",
                f["train_score"],
                f["test_return_pct"],
                f["test_sharpe"],
                f["best_in_sample_test_return_pct"],
            ]
            for f in wf["folds"]
        ]
        parts.append(
            f"<h2>Walk-forward (train {wf['train']}, test {wf['test']} sessions)</h2>"
            f"<p>Out of sample {_fmt(wf['oos_return_pct'])}% (Sharpe {_fmt(wf['oos_sharpe'])})"
            f"; the in-sample best on the same sessions {_fmt(wf['in_sample_return_pct'])}%.</p>"
            + _table(
                [
                    "train",
                    "test",
                    "chosen",
                    "train score",
                    "test return %",
                    "test Sharpe",
                    "in-sample best test %",
                ],
                rows,
                "walk-forward",
            )
        )
    top = sorted(summary["rows"], key=lambda r: r["rank"])[:25]
    parts.append(
        "<h2>Trials (top 25 of {})</h2>".format(len(summary["rows"]))
        + _table(
            ["rank", "trial", *keys, "trades", "win rate", "P/L", "max DD %", "Sharpe", "score"],
            [
                [
                    r["rank"],
                    r["trial_id"],
                    *(r["settings"].get(k) for k in keys),
                    r["trades"],
                    r["win_rate"],
                    r["pnl"],
                    r["max_drawdown_pct"],
                    r["sharpe"],
                    r["score"],
                ]
                for r in top
            ],
            "trials",
        )
    )
    return parts


STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}th{background:#f3f3f3}.chart{margin:1em 0}"""


def render_report(summary: Mapping[str, Any], charts: bool = True) -> str:
    """The whole page; ``charts=False`` (or Plotly missing) leaves the charts out."""
    meta = (
        f"{summary.get('n_trials')} trials over {_esc(summary.get('bars', ''))} "
        f"{_esc(summary.get('start', ''))}..{_esc(summary.get('end', ''))}, "
        f"objective {_esc(summary['objective']['name'])}"
    )
    if summary["objective"].get("max_drawdown_pct"):
        meta += f" (max drawdown cap {summary['objective']['max_drawdown_pct']}%)"
    body = [f"<h1>Sweep {_esc(summary.get('sweep_id', ''))}</h1><p>{meta}</p>"]
    body += _head(summary)
    figures: list[str] = []
    if charts:
        try:
            figs = _charts(summary)
        except ImportError:
            figs = []
            body.append(
                "<p id='no-charts'>Charts need Plotly: pip install 'llm-advisor[report]' "
                "and run sweep --report-from summary.json.</p>"
            )
        for n, (cid, title, fig) in enumerate(figs):
            div = fig.to_html(
                full_html=False,
                include_plotlyjs=(n == 0),
                div_id=cid,
                config={"displaylogo": False, "responsive": True},
            )
            figures.append(f"<h3>{_esc(title)}</h3><div class='chart'>{div}</div>")
    body += figures + _tail(summary)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Sweep report</title>"
        f"<style>{STYLE}</style></head><body>" + "\n".join(body) + "</body></html>"
    )
