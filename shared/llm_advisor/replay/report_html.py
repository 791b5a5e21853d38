"""The HTML of ``report.html`` and ``compare.html``: one self-contained file each.

The page carries its data as one JSON block and draws every chart in the browser with
Plotly, whose JavaScript is inlined once (``plotly_js``), so the file opens from disk with
no network. Drawing from data rather than embedding one Plotly figure per chart keeps the
symbol-day section to one chart that a picker redraws, instead of hundreds of charts.
Without ``plotly_js`` (Plotly not installed) the same page shows its tables and a note.
Tables are rendered here, in Python, so they read the same with or without charts.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

NO_PLOTLY = (
    "Charts need Plotly, which is not installed here "
    "(pip install 'llm-advisor[report]' and replay again); the tables below are complete."
)
NO_TRADES = "No trades in this replay: nothing to break down by setup, side, symbol or hour."

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;
color:#222}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin:28px 0 8px;
border-bottom:1px solid #ddd}
.meta{color:#555}.note{background:#fff6d6;border:1px solid #e6cf7a;padding:8px 12px}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}.chart{min-height:40px}
.pos{color:#2e7d32}.neg{color:#c62828}select{font-size:14px;margin-right:8px}
"""

COMMON_JS = r"""
const D = JSON.parse(document.getElementById('report-data').textContent);
const HAS = typeof Plotly !== 'undefined';
const CFG = {displaylogo: false, responsive: true};
const GREEN = '#2e7d32', RED = '#c62828', BLUE = '#1565c0';
const PALETTE = ['#1565c0', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#558b2f'];
const BREAKS = [{bounds: ['sat', 'mon']}, {bounds: [16, 9.5], pattern: 'hour'}];
function plot(id, traces, layout) {
  const el = document.getElementById(id);
  if (!HAS || !el) return;
  const base = {height: 300, margin: {t: 20, r: 20, l: 70, b: 40}, showlegend: false};
  Plotly.newPlot(el, traces, Object.assign(base, layout || {}), CFG);
}
function signColors(v) { return v.map(x => (x >= 0 ? GREEN : RED)); }
function money(x) {
  return (x < 0 ? '-' : '') + '$' + Math.abs(x).toLocaleString('en-US',
    {minimumFractionDigits: 2, maximumFractionDigits: 2});
}
"""

RUN_JS = r"""
function pnlBars(id, b) {
  plot(id, [{type: 'bar', x: b.label, y: b.pnl, marker: {color: signColors(b.pnl)},
    customdata: b.trades.map((n, i) => [n, b.wins[i]]),
    hovertemplate: '%{x}: %{y:$,.2f}<br>%{customdata[0]} trades, ' +
      '%{customdata[1]} wins<extra></extra>'}],
    {xaxis: {type: 'category'}, yaxis: {title: {text: 'P/L ($)'}}});
}
const E = D.equity;
plot('equity-chart', [{type: 'scatter', mode: 'lines+markers', x: E.x, y: E.equity,
  line: {shape: 'hv', color: BLUE}, marker: {size: 4}}],
  {xaxis: {rangebreaks: BREAKS}, yaxis: {title: {text: 'realized equity ($)'}}});
plot('drawdown-chart', [{type: 'scatter', mode: 'lines', x: E.x, y: E.drawdown,
  customdata: E.drawdown_pct, line: {shape: 'hv', color: RED}, fill: 'tozeroy',
  hovertemplate: '%{x}<br>%{y:$,.2f} (%{customdata:.2f}%)<extra></extra>'}],
  {xaxis: {rangebreaks: BREAKS}, yaxis: {title: {text: 'drawdown ($)'}}});
plot('daily-chart', [{type: 'bar', x: D.daily.day, y: D.daily.pnl,
  marker: {color: signColors(D.daily.pnl)}, customdata: D.daily.trades,
  hovertemplate: '%{x}: %{y:$,.2f}<br>%{customdata} trades<extra></extra>'}],
  {xaxis: {type: 'category'}, yaxis: {title: {text: 'P/L ($)'}}});
if (D.trades > 0) {
  pnlBars('by-setup-chart', D.by_setup);
  pnlBars('by-side-chart', D.by_side);
  pnlBars('by-symbol-chart', D.by_symbol);
  pnlBars('by-hour-chart', D.by_hour);
  plot('exits-chart', [{type: 'pie', hole: 0.4, labels: D.exits.label,
    values: D.exits.trades, customdata: D.exits.pnl, sort: false,
    hovertemplate: '%{label}: %{value} trades, P/L %{customdata:$,.2f}<extra></extra>'}],
    {showlegend: true});
}

const SD = D.symbol_days || {rows: []};
const symSel = document.getElementById('sd-symbol');
const daySel = document.getElementById('sd-day');
function decode(row) {
  const n = row.c.length, xs = new Array(n), c = new Array(n), z = new Array(n);
  const [d, t] = row.open.split(' ');
  const [Y, M, DD] = d.split('-').map(Number);
  const [h, mi] = t.split(':').map(Number);
  const t0 = Date.UTC(Y, M - 1, DD, h, mi);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    xs[i] = new Date(t0 + i * 60000).toISOString().slice(0, 19).replace('T', ' ');
    if (row.c[i] === null) { c[i] = null; } else { acc += row.c[i]; c[i] = acc / row.scale; }
    z[i] = row.z[i] === null ? null : row.z[i] / 100;
  }
  return {xs, c, z};
}
function thresholds(row, n) {
  const k = [[], [], [], []];
  let j = 0;
  for (let i = 0; i < n; i++) {
    while (j + 1 < row.k.length && row.k[j + 1][0] <= i) j++;
    for (let q = 0; q < 4; q++) k[q].push(row.k[j][q + 1]);
  }
  return k;
}
function band(xs, v, name, color, dash, show) {
  const line = {color: color, width: 1, dash: dash, shape: 'hv'};
  return [
    {type: 'scatter', mode: 'lines', x: xs, y: v, yaxis: 'y2', name: name,
      legendgroup: name, showlegend: show, line: line, hoverinfo: 'skip'},
    {type: 'scatter', mode: 'lines', x: xs, y: v.map(a => -a), yaxis: 'y2', name: name,
      legendgroup: name, showlegend: false, line: line, hoverinfo: 'skip'}];
}
function drawSymbolDay(row) {
  const {xs, c, z} = decode(row);
  const k = thresholds(row, xs.length);
  const abort = xs.map(() => SD.abort_z);
  const tr = [
    {type: 'scatter', mode: 'lines', x: xs, y: c, name: 'close', line: {color: '#444'},
      connectgaps: false},
    ...band(xs, k[0], 'MR arm ±z', '#ef6c00', 'solid', true),
    ...band(xs, k[1], 'MR trigger ±z', '#ef6c00', 'dot', true),
    ...band(xs, k[2], 'TC arm ±z', '#6a1b9a', 'solid', true),
    ...band(xs, k[3], 'TC trigger ±z', '#6a1b9a', 'dot', true),
    ...band(xs, abort, 'MR abort ±z', '#999', 'dash', true),
    {type: 'scatter', mode: 'lines', x: xs, y: z, yaxis: 'y2', name: 'z',
      line: {color: BLUE}}];
  row.trades.forEach((t, i) => {
    const long = t.side === 'long';
    tr.push({type: 'scatter', mode: 'lines+markers', x: [t.entry[0], t.exit[0]],
      y: [t.entry[1], t.exit[1]], name: 'trade ' + (i + 1), showlegend: false,
      line: {color: t.pnl >= 0 ? GREEN : RED, dash: 'dash', width: 1},
      marker: {size: [12, 11], color: [long ? GREEN : RED, '#000'],
        symbol: [long ? 'triangle-up' : 'triangle-down', 'x']},
      text: [t.setup + ' ' + t.side + ' ' + t.qty + ' @ ' + t.entry[1],
        t.reason + ' @ ' + t.exit[1] + ', P/L ' + money(t.pnl)],
      hovertemplate: '%{x}<br>%{text}<extra></extra>'});
  });
  if (row.signals.length) {
    tr.push({type: 'scatter', mode: 'markers', x: row.signals.map(s => s[0]),
      y: row.signals.map(s => s[1]), yaxis: 'y2', name: 'signals',
      marker: {symbol: 'diamond', size: 9,
        color: row.signals.map(s => (s[2] === 'rejected' ? '#999' : '#000'))},
      text: row.signals.map(s => s[3] + ' ' + s[4] + ' ' + s[2]),
      hovertemplate: '%{x}<br>z %{y:.2f}<br>%{text}<extra></extra>'});
  }
  plot('symbol-day-chart', tr, {height: 600, showlegend: true,
    title: {text: row.symbol + ' ' + row.day + ' (New York time)'},
    margin: {t: 40, r: 20, l: 70, b: 40}, xaxis: {anchor: 'y2'},
    yaxis: {domain: [0.45, 1], title: {text: 'price'}},
    yaxis2: {domain: [0, 0.4], title: {text: 'z'}, zeroline: true}});
  const body = document.querySelector('#sd-trades tbody');
  body.innerHTML = '';
  row.trades.forEach(t => {
    const r = document.createElement('tr');
    [t.setup, t.side, t.qty, t.entry[0].slice(11), t.entry[1], t.exit[0].slice(11),
      t.exit[1], t.reason, money(t.pnl)].forEach(v => {
      const td = document.createElement('td');
      td.textContent = String(v);
      r.appendChild(td);
    });
    body.appendChild(r);
  });
  document.body.dataset.symbolDay = row.symbol + ' ' + row.day;
}
function fillDays() {
  daySel.innerHTML = '';
  SD.rows.forEach((row, i) => {
    if (row.symbol !== symSel.value) return;
    const o = document.createElement('option');
    o.value = String(i);
    o.textContent = row.day + ' (' + row.trades.length + ' trades, ' + money(row.pnl) + ')';
    daySel.appendChild(o);
  });
}
if (SD.rows.length && symSel) {
  [...new Set(SD.rows.map(r => r.symbol))].forEach(s => {
    const o = document.createElement('option');
    o.value = s; o.textContent = s; symSel.appendChild(o);
  });
  symSel.addEventListener('change', () => { fillDays(); drawSymbolDay(SD.rows[+daySel.value]); });
  daySel.addEventListener('change', () => drawSymbolDay(SD.rows[+daySel.value]));
  fillDays();
  drawSymbolDay(SD.rows[+daySel.value]);
}
document.body.dataset.ready = 'true';
"""

COMPARE_JS = r"""
const R = D.runs;
function lines(id, key, title) {
  plot(id, R.map((r, i) => ({type: 'scatter', mode: 'lines', name: r.label, x: r.equity.x,
    y: r.equity[key], line: {shape: 'hv', color: PALETTE[i % PALETTE.length]}})),
    {showlegend: true, xaxis: {rangebreaks: BREAKS}, yaxis: {title: {text: title}}});
}
function grouped(id, key, field, title) {
  plot(id, R.map((r, i) => ({type: 'bar', name: r.label, x: r[key].label ?? r[key].day,
    y: r[key][field], marker: {color: PALETTE[i % PALETTE.length]}})),
    {showlegend: true, barmode: 'group', xaxis: {type: 'category'},
      yaxis: {title: {text: title}}});
}
lines('compare-equity', 'equity', 'realized equity ($)');
lines('compare-drawdown', 'drawdown', 'drawdown ($)');
grouped('compare-daily', 'daily', 'pnl', 'P/L ($)');
grouped('compare-setup', 'by_setup', 'pnl', 'P/L ($)');
grouped('compare-side', 'by_side', 'pnl', 'P/L ($)');
grouped('compare-exits', 'exits', 'trades', 'trades');
document.body.dataset.ready = 'true';
"""


def esc(x: Any) -> str:
    return html.escape(str(x))


def signed(x: Any) -> str:
    """A P/L cell, coloured by sign."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return f"<td>{esc(x)}</td>"
    cls = "pos" if v > 0 else ("neg" if v < 0 else "")
    return f'<td class="{cls}">{v:,.2f}</td>'


def table(head: Sequence[str], rows: Sequence[Sequence[Any]], id_: str, pnl_col: int = -1) -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(signed(c) if j == pnl_col else f"<td>{esc(c)}</td>" for j, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f'<table id="{id_}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def breakdown_table(b: Mapping[str, Any], name: str, id_: str) -> str:
    rows = [
        [lab, n, w, f"{100 * w / n:.1f}%" if n else "-", p]
        for lab, p, n, w in zip(b["label"], b["pnl"], b["trades"], b["wins"], strict=True)
    ]
    return table([name, "trades", "wins", "win rate", "P/L ($)"], rows, id_, pnl_col=4)


def summary_rows(s: Mapping[str, Any]) -> list[list[Any]]:
    wr = s.get("win_rate")
    return [
        ["sessions", s.get("sessions", "-")],
        ["trades", s.get("trades", "-")],
        ["win rate", "-" if wr is None else f"{100 * wr:.1f}%"],
        ["P/L ($)", s.get("pnl", "-")],
        ["max drawdown ($)", f"{s.get('max_drawdown', '-')} ({s.get('max_drawdown_pct', 0):.2f}%)"],
        ["equity ($)", f"{s.get('start_equity', '-')} -> {s.get('end_equity', '-')}"],
        ["signals (rejected)", f"{s.get('signals', '-')} ({s.get('signals_rejected', '-')})"],
    ]


def page(title: str, data: Mapping[str, Any], body: str, js: str, plotly_js: str | None) -> str:
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    lib = f"<script>{plotly_js}</script>" if plotly_js else ""
    note = "" if plotly_js else f'<p id="no-charts" class="note">{esc(NO_PLOTLY)}</p>'
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}'
        f'</title><style>{CSS}</style>{lib}</head><body data-ready="false">{note}{body}'
        f'<script type="application/json" id="report-data">{blob}</script>'
        f"<script>{COMMON_JS}{js}</script></body></html>\n"
    )


def render_run(data: Mapping[str, Any], plotly_js: str | None) -> str:
    """One replay's page: headline figures, curves, breakdowns, exits, symbol-days."""
    d = data
    validator = f", validator {esc(d['validator'])}" if d.get("validator") else ""
    run = f"run {esc(d['run_id'])} - " if d.get("run_id") else ""
    parts = [
        f"<h1>{esc(d['title'])}</h1>",
        f'<p class="meta">{run}analyst {esc(d["analyst"])}{validator} - '
        f"sessions {esc(d['start'])}..{esc(d['end'])} - {len(d['symbols'])} symbols "
        f"({esc(', '.join(d['symbols'][:20]))}{', ...' if len(d['symbols']) > 20 else ''})"
        "; times are New York time</p>",
        table(["", ""], summary_rows(d["summary"]), "summary"),
    ]
    if d["trades"] == 0:
        parts.append(f'<p id="no-trades" class="note">{esc(NO_TRADES)}</p>')
    parts += [
        "<h2>Equity (realized, after each exit)</h2>",
        '<div id="equity-chart" class="chart"></div>',
        "<h2>Drawdown from the running peak</h2>",
        '<div id="drawdown-chart" class="chart"></div>',
        "<h2>Daily P/L</h2>",
        '<div id="daily-chart" class="chart"></div>',
    ]
    if d["trades"]:
        sym = d["by_symbol"]
        shown = (
            f" (best and worst {len(sym['label']) // 2} of {sym['symbols']})"
            if sym["symbols"] > len(sym["label"])
            else ""
        )
        parts += [
            "<h2>P/L by setup, side, symbol and hour of entry</h2>",
            '<div class="grid"><div><h3>By setup</h3><div id="by-setup-chart" class="chart">'
            "</div>" + breakdown_table(d["by_setup"], "setup", "by-setup-table") + "</div>",
            '<div><h3>By side</h3><div id="by-side-chart" class="chart"></div>'
            + breakdown_table(d["by_side"], "side", "by-side-table")
            + "</div>",
            f'<div><h3>By symbol{esc(shown)}</h3><div id="by-symbol-chart" class="chart"></div>'
            + breakdown_table(sym, "symbol", "by-symbol-table")
            + "</div>",
            '<div><h3>By hour of entry (New York)</h3><div id="by-hour-chart" class="chart">'
            "</div>" + breakdown_table(d["by_hour"], "hour", "by-hour-table") + "</div></div>",
            "<h2>Exit reasons</h2>",
            '<div id="exits-chart" class="chart"></div>',
            breakdown_table(d["exits"], "exit", "exits-table"),
        ]
    parts.append(symbol_day_section(d.get("symbol_days")))
    return page(d["title"], d, "".join(parts), RUN_JS, plotly_js)


def symbol_day_section(sd: Mapping[str, Any] | None) -> str:
    head = "<h2>Symbol-day: price, z and the thresholds, entries and exits</h2>"
    if sd is None:
        return head + '<p class="note">No bars given: no symbol-day charts.</p>'
    if not sd["rows"]:
        return head + '<p id="no-symbol-days" class="note">No symbol-day had a signal.</p>'
    capped = (
        f" Showing {len(sd['rows'])} of {sd['total']} symbol-days (the largest |P/L| first)."
        if sd["total"] > len(sd["rows"])
        else ""
    )
    return (
        head + f'<p class="meta">The symbol-days with trades or signals.{esc(capped)} z is '
        "recomputed from the bars exactly as the engine computes it; the thresholds are the "
        "analyst's in force each minute. Triangles: entries; crosses: exits; diamonds: "
        'signals (grey: rejected).</p><label>symbol <select id="sd-symbol"></select></label>'
        '<label>day <select id="sd-day"></select></label>'
        '<div id="symbol-day-chart" class="chart"></div>'
        + table(
            ["setup", "side", "qty", "entry", "price", "exit", "price", "reason", "P/L"],
            [],
            "sd-trades",
        )
    )


def render_compare(data: Mapping[str, Any], plotly_js: str | None) -> str:
    """The comparison page: every run's curves together and one link per run's report."""
    d = data
    rows = []
    for r in d["runs"]:
        s = r["summary"]
        wr = s.get("win_rate")
        rows.append(
            [
                f'<a href="{esc(r["href"])}">{esc(r["label"])}</a>',
                s.get("trades", "-"),
                "-" if wr is None else f"{100 * wr:.1f}%",
                s.get("pnl", "-"),
                s.get("max_drawdown", "-"),
                s.get("signals", "-"),
                r.get("advices", "-"),
            ]
        )
    head = ["run", "trades", "win rate", "P/L ($)", "max drawdown after each exit ($)"]
    head += ["signals", "advices"]
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join(
        "<tr><td>" + r[0] + "</td>" + "".join(f"<td>{esc(c)}</td>" for c in r[1:]) + "</tr>"
        for r in rows
    )
    parts = [
        f"<h1>{esc(d['title'])}</h1>",
        f'<p class="meta">{esc(d["meta"])}; times are New York time</p>',
        f'<table id="runs"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>',
        f'<pre id="attribution">{esc(d["text"])}</pre>',
        '<p class="meta">The attribution table measures drawdown between session closes; '
        "the table above and the charts below, after each exit (as summary.json).</p>",
        "<h2>Equity (realized)</h2>",
        '<div id="compare-equity" class="chart"></div>',
        "<h2>Drawdown</h2>",
        '<div id="compare-drawdown" class="chart"></div>',
        "<h2>Daily P/L</h2>",
        '<div id="compare-daily" class="chart"></div>',
        '<div class="grid"><div><h3>P/L by setup</h3><div id="compare-setup" class="chart">'
        '</div></div><div><h3>P/L by side</h3><div id="compare-side" class="chart"></div></div>'
        "</div>",
        "<h2>Exit reasons (trades)</h2>",
        '<div id="compare-exits" class="chart"></div>',
    ]
    return page(d["title"], d, "".join(parts), COMPARE_JS, plotly_js)
