// The daily truth report of the run and session the page shows (GET /api/truth): the
// verdict (live matched its replay, or the divergences and the cause of each) and the
// cumulative entry slippage over the run's reported days. The report is written after the
// close (16:45 New York) or by `python -m llm_advisor truth --date D`, so a session without
// one is the normal state of a day in progress, not an error: the section says how to make it.
// Uses app.js's getJSON, runQuery and sessionDate at call time (this file loads before it).
"use strict";

// Kinds where live and the model disagreed about *what* to trade (not how well it was
// filled): the truth alert fires on missed/extra signals by default, so these are red.
const TRUTH_RED_KINDS = new Set([
  "signal_missed", "signal_extra", "signal_status", "order_missing", "extra_trade",
]);
let truthSeq = 0;  // the newest request wins: a quick run/session change drops stale answers

const truthTable = new SortableTable($("truth-table"), {
  kind: { kind: "text", value: (d) => d.kind, render: (tr, d) => cell(tr, d.kind) },
  symbol: { kind: "text", value: (d) => d.symbol, render: (tr, d) => cell(tr, d.symbol) },
  time: { kind: "time", value: (d) => d.time, render: (tr, d) => timeCell(tr, d.time, false) },
  cause: {
    kind: "text", value: (d) => d.cause,
    render: (tr, d) => cell(tr, d.cause, d.cause === "unexplained" ? "cause-unexplained" : ""),
  },
  detail: { kind: "text", value: (d) => d.detail, render: (tr, d) => cell(tr, d.detail, "detail") },
}, {});

// "green" identical; "red" when live traded something else than the model (or a cause
// could not be named); "amber" when only the execution differed (slippage, fills, exits).
function truthLevel(r) {
  if (r.verdict === "identical") return "green";
  const red = r.divergences.some((d) => TRUTH_RED_KINDS.has(d.kind) || d.cause === "unexplained");
  return red ? "red" : "amber";
}

function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }

function truthCounts(c) {
  const n = (k) => c[k] || 0;
  return `signals ${n("signals_matched")} matched, ${n("signals_missed")} missed by live, ` +
    `${n("signals_extra")} extra in live · entries ${n("entries_matched")} matched · ` +
    `${plural(n("partial_fills"), "partial fill")} · ${n("exits_mismatched")} exits differ`;
}

function truthSummary(r) {
  const bps = r.slippage_bps === null ? "" : ` (${r.slippage_bps >= 0 ? "+" : ""}${r.slippage_bps.toFixed(1)} bps)`;
  return `P/L live ${fmtMoney(r.pnl_live, true)} · model ${fmtMoney(r.pnl_model, true)} · ` +
    `entry slippage ${fmtMoney(r.slippage_usd, true)}${bps} · ` +
    `reported ${fmtET(r.reported_at)}`;
}

// The command that writes the missing report (--run only when it is not the CLI's default).
function truthCommand(day, runId) {
  const run = runId && runId !== "live" ? ` --run ${runId}` : "";
  return `python -m llm_advisor truth --date ${day}${run}`;
}

function renderTruthEmpty(text, command) {
  const p = $("truth-empty");
  p.replaceChildren(document.createTextNode(text));
  if (command) {
    const code = document.createElement("code");
    code.textContent = command;
    p.append(code);
  }
  p.hidden = false;
}

function renderTruth(r, day) {
  const panel = $("truth-panel");
  const badge = $("truth-verdict");
  $("truth-info").textContent = `${day} · ${r.run_id}`;
  $("truth-empty").hidden = true;
  if (r.verdict === null) {
    panel.dataset.verdict = "none";
    badge.dataset.level = "none";
    badge.textContent = "no report";
    $("truth-summary").textContent = "";
    $("truth-counts").textContent = "";
    renderTruthEmpty("No truth report for this day yet — it runs after the close, or ",
      truthCommand(day, r.run_id));
    truthTable.setRows([]);
    $("truth-divergences").hidden = true;
  } else {
    const n = r.divergences.length;
    panel.dataset.verdict = r.verdict;
    badge.dataset.level = truthLevel(r);
    badge.textContent = r.verdict === "identical" ? "identical" : `diverged · ${plural(n, "divergence")}`;
    $("truth-summary").textContent = truthSummary(r);
    $("truth-counts").textContent = truthCounts(r.counts);
    truthTable.setRows(r.divergences);
    $("truth-divergences").hidden = n === 0;
  }
  // no reported day up to this session: no chart at all (the empty state says why)
  $("truth-history").hidden = r.history.length === 0;
  if (r.history.length > 0) drawTruthSlippage(r.history, r.date || day);
}

// Cumulative entry slippage (USD, + = worse than the model) per reported day, oldest first
// (at least one): a dot per day (amber: diverged), the shown day ringed. Uses charts.js's
// frame and svgEl.
function drawTruthSlippage(days, shown) {
  const box = $("truth-chart");
  const { svg, w, h, pad } = chartFrame(box);
  const vals = days.map((d) => parseFloat(d.cumulative_slippage_usd));
  const hi = Math.max(0, ...vals), lo = Math.min(0, ...vals);
  const span = hi - lo || 1;
  const x = (i) => pad.l + (days.length === 1 ? (w - pad.l - pad.r) / 2 : (i / (days.length - 1)) * (w - pad.l - pad.r));
  const y = (v) => pad.t + (1 - (v - lo) / span) * (h - pad.t - pad.b);
  svg.appendChild(svgEl("line", { class: "axis", x1: pad.l, x2: w - pad.r, y1: y(0), y2: y(0) }));
  svg.appendChild(svgEl("polyline", {
    class: "slip-line", points: vals.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" "),
  }));
  days.forEach((d, i) => {
    const dot = svgEl("circle", {
      class: `slip-dot slip-${d.verdict}${d.date === shown ? " slip-shown" : ""}`,
      cx: x(i).toFixed(1), cy: y(vals[i]).toFixed(1), r: d.date === shown ? 5 : 3,
      "data-date": d.date, "data-cumulative": d.cumulative_slippage_usd,
    });
    const tip = svgEl("title", {});
    tip.textContent = `${d.date}: ${d.verdict}, ${plural(d.divergences, "divergence")}, slippage ` +
      `${fmtMoney(d.slippage_usd, true)}, cumulative ${fmtMoney(d.cumulative_slippage_usd, true)}`;
    dot.appendChild(tip);
    svg.appendChild(dot);
  });
  svg.appendChild(svgEl("text", { x: 4, y: y(hi) + 10 })).textContent = fmtMoney(hi.toFixed(2), true);
  if (lo < 0) svg.appendChild(svgEl("text", { x: 4, y: y(lo) })).textContent = fmtMoney(lo.toFixed(2), true);
  else if (hi > 0) svg.appendChild(svgEl("text", { x: 4, y: y(0) })).textContent = "$0.00";
  svg.appendChild(svgEl("text", { x: pad.l, y: h - 6 })).textContent = days[0].date;
  const last = svgEl("text", { x: w - pad.r, y: h - 6, "text-anchor": "end" });
  last.textContent = days[days.length - 1].date;
  svg.appendChild(last);
  const end = days[days.length - 1];
  box.setAttribute("aria-label", `Cumulative entry slippage over ${plural(days.length, "reported day")}, ` +
    `${days[0].date} to ${end.date}: ${fmtMoney(end.cumulative_slippage_usd, true)}`);
}

async function loadTruth() {
  const seq = ++truthSeq;
  const day = sessionDate();
  try {
    const r = await getJSON("/api/truth", runQuery({ date: day }));
    if (seq === truthSeq) renderTruth(r, day);
  } catch (err) {
    if (seq !== truthSeq) return;
    $("truth-verdict").dataset.level = "none";
    $("truth-verdict").textContent = "unavailable";
    $("truth-summary").textContent = "";
    $("truth-counts").textContent = "";
    $("truth-divergences").hidden = true;
    $("truth-history").hidden = true;
    // 501: this API's store keeps no truth report (say so here, not as a page error)
    if (/: 501 /.test(err.message || "")) {
      renderTruthEmpty("This API keeps no truth report.", null);
      return;
    }
    renderTruthEmpty("The truth report could not be loaded (see the message above).", null);
    throw err;
  }
}
