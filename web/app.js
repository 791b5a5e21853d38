// Portfolio page for the llm-advisor REST API. Plain browser JavaScript, no build step, no
// third-party code: it must work offline against `make api`. Money arrives as decimal
// strings and is displayed from the string (never re-rounded through a float); floats are
// used only to place points on the charts.
"use strict";

const params = new URLSearchParams(window.location.search);
const API = (params.get("api") || "http://127.0.0.1:8080").replace(/\/+$/, "");
const PAGE_SIZE = 25;
const SVG_NS = "http://www.w3.org/2000/svg";
const nyDate = new Intl.DateTimeFormat("en-CA", {
  timeZone: "America/New_York", year: "numeric", month: "2-digit", day: "2-digit",
});

const state = { start: null, end: null, page: 0 };
const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ helpers

async function getJSON(path, query) {
  const url = new URL(API + path);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
  }
  const resp = await fetch(url, { headers: { Accept: "application/json" } });
  let body = null;
  try { body = await resp.json(); } catch (_) { /* non-JSON error page */ }
  if (!resp.ok) {
    const msg = body && body.message ? body.message : resp.statusText;
    const rid = body && body.request_id ? ` (request ${body.request_id})` : "";
    throw new Error(`${path}: ${resp.status} ${msg}${rid}`);
  }
  return body;
}

function addDays(isoDay, n) {
  const d = new Date(isoDay + "T12:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function todayNY() { return nyDate.format(new Date()); }

// "-1234.5" -> "-$1,234.50": formatted from the string, so no float rounding.
function fmtMoney(s, signed) {
  if (s === null || s === undefined) return "–";
  const neg = s.startsWith("-");
  let [int, frac = ""] = (neg ? s.slice(1) : s).split(".");
  frac = (frac + "00").slice(0, Math.max(2, frac.length));
  int = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const zero = /^[0,]*$/.test(int) && /^0*$/.test(frac);
  const sign = zero ? "" : (neg ? "-" : (signed ? "+" : ""));
  return `${sign}$${int}.${frac}`;
}

function moneyClass(s) {
  if (s === null || s === undefined) return "";
  return s.startsWith("-") ? "down" : (/[1-9]/.test(s) ? "up" : "");
}

function pct(x) { return x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)}%`; }

function fmtTime(iso) { return iso ? iso.replace("T", " ").replace(/(:\d\d)(\.\d+)?Z$/, "$1Z") : "–"; }

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function setMoney(id, s, signed) {
  const el = $(id);
  el.textContent = fmtMoney(s, signed);
  el.className = el.className.replace(/\b(up|down)\b/g, "").trim();
  const c = signed ? moneyClass(s) : "";
  if (c) el.classList.add(c);
}

function showError(err) {
  const box = $("error");
  box.textContent = String(err && err.message ? err.message : err);
  box.hidden = false;
}

// ------------------------------------------------------------------ charts

function chartFrame(container) {
  container.replaceChildren();
  const w = Math.max(container.clientWidth, 300);
  const h = Math.max(container.clientHeight, 160);
  const svg = svgEl("svg", { viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: "none" });
  container.appendChild(svg);
  return { svg, w, h, pad: { l: 70, r: 12, t: 10, b: 22 } };
}

function drawEquity(points) {
  const { svg, w, h, pad } = chartFrame($("equity-chart"));
  if (points.length === 0) {
    svg.appendChild(svgEl("text", { x: pad.l, y: h / 2 })).textContent = "no trades in range";
    return;
  }
  const ys = points.map((p) => parseFloat(p.equity));
  const lo = Math.min(...ys), hi = Math.max(...ys);
  const span = hi - lo || 1;
  const x = (i) => pad.l + (points.length === 1 ? 0 : (i / (points.length - 1)) * (w - pad.l - pad.r));
  const y = (v) => pad.t + (1 - (v - lo) / span) * (h - pad.t - pad.b);
  svg.appendChild(svgEl("line", { class: "axis", x1: pad.l, x2: w - pad.r, y1: h - pad.b, y2: h - pad.b }));
  svg.appendChild(svgEl("polyline", {
    class: "equity", points: ys.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" "),
  }));
  svg.appendChild(svgEl("text", { x: 4, y: y(hi) + 4 })).textContent = fmtMoney(points[ys.indexOf(hi)].equity);
  svg.appendChild(svgEl("text", { x: 4, y: y(lo) })).textContent = fmtMoney(points[ys.indexOf(lo)].equity);
  svg.appendChild(svgEl("text", { x: pad.l, y: h - 6 })).textContent = points[0].time.slice(0, 10);
  const last = svgEl("text", { x: w - pad.r, y: h - 6, "text-anchor": "end" });
  last.textContent = points[points.length - 1].time.slice(0, 10);
  svg.appendChild(last);
}

function drawDaily(days) {
  const { svg, w, h, pad } = chartFrame($("daily-chart"));
  if (days.length === 0) {
    svg.appendChild(svgEl("text", { x: pad.l, y: h / 2 })).textContent = "no trading days in range";
    return;
  }
  const vals = days.map((d) => parseFloat(d.realized));
  const hi = Math.max(0, ...vals), lo = Math.min(0, ...vals);
  const span = hi - lo || 1;
  const y = (v) => pad.t + (1 - (v - lo) / span) * (h - pad.t - pad.b);
  const slot = (w - pad.l - pad.r) / days.length;
  const bw = Math.max(1, slot * 0.7);
  days.forEach((d, i) => {
    const v = vals[i];
    const rect = svgEl("rect", {
      class: v < 0 ? "bar-down" : "bar-up",
      x: (pad.l + i * slot + (slot - bw) / 2).toFixed(1),
      y: Math.min(y(v), y(0)).toFixed(1),
      width: bw.toFixed(1),
      height: Math.max(1, Math.abs(y(v) - y(0))).toFixed(1),
      "data-date": d.date,
      "data-realized": d.realized,
    });
    const tip = svgEl("title", {});
    tip.textContent = `${d.date}: ${fmtMoney(d.realized, true)} (${d.trades} trades)`;
    rect.appendChild(tip);
    svg.appendChild(rect);
  });
  svg.appendChild(svgEl("line", { class: "axis", x1: pad.l, x2: w - pad.r, y1: y(0), y2: y(0) }));
  svg.appendChild(svgEl("text", { x: 4, y: y(hi) + 10 })).textContent = fmtMoney(String(hi.toFixed(2)));
  if (lo < 0) svg.appendChild(svgEl("text", { x: 4, y: y(lo) })).textContent = fmtMoney(String(lo.toFixed(2)));
}

// ------------------------------------------------------------------ sections

function renderPnl(p) {
  setMoney("total-pnl", p.total_realized, true);
  $("trade-count").textContent = String(p.trades);
  $("win-rate").textContent = pct(p.win_rate);
  setMoney("max-drawdown", p.max_drawdown, false);
  setMoney("total-fees", p.total_fees, false);
  drawEquity(p.equity_curve);
  drawDaily(p.days);
}

// The API returns trades oldest first; the page shows the newest first, PAGE_SIZE at a time.
function renderTrades(page, total) {
  const body = $("trades-table").tBodies[0];
  body.replaceChildren();
  for (const t of [...page.items].reverse()) {
    const tr = document.createElement("tr");
    tr.dataset.id = String(t.id);
    cell(tr, fmtTime(t.exit_time));
    cell(tr, t.symbol);
    cell(tr, t.setup);
    cell(tr, t.side);
    cell(tr, String(t.qty), "num");
    cell(tr, fmtMoney(t.entry_price), "num");
    cell(tr, fmtMoney(t.exit_price), "num");
    cell(tr, fmtMoney(t.pnl, true), `num ${moneyClass(t.pnl)}`);
    cell(tr, t.exit_reason);
    body.appendChild(tr);
  }
  const newest = total - (page.offset + page.items.length) + 1;
  $("page-info").textContent = total === 0 ? "no trades" :
    `${newest}–${total - page.offset} of ${total}, newest first`;
  $("prev-page").disabled = state.page === 0;
  $("next-page").disabled = page.offset === 0;
  $("trades-range").textContent = `${page.start_date} → ${page.end_date}`;
}

function renderPositions(resp) {
  const body = $("positions-table").tBodies[0];
  body.replaceChildren();
  for (const p of resp.items) {
    const tr = document.createElement("tr");
    cell(tr, p.symbol);
    cell(tr, p.side);
    cell(tr, String(p.qty), "num");
    cell(tr, fmtMoney(p.entry_price), "num");
    cell(tr, fmtMoney(p.mark_price), "num");
    cell(tr, fmtMoney(p.unrealized_pnl, true), `num ${moneyClass(p.unrealized_pnl)}`);
    cell(tr, fmtMoney(p.stop_price), "num");
    cell(tr, fmtMoney(p.target_price), "num");
    cell(tr, fmtTime(p.entry_time));
    body.appendChild(tr);
  }
  $("positions-empty").hidden = resp.items.length > 0;
  setMoney("total-unrealized", resp.total_unrealized_pnl, true);
}

function renderAnalysis(resp) {
  const a = resp.analysis;
  $("analysis-empty").hidden = a !== null;
  $("analysis-body").hidden = a === null;
  if (a === null) return;
  $("analysis-assessment").textContent = a.market_assessment;
  $("analysis-confidence").textContent = a.confidence.toFixed(2);
  $("analysis-provider").textContent = a.model ? `${a.provider} / ${a.model}` : a.provider;
  $("analysis-time").textContent = fmtTime(a.timestamp);
  $("analysis-time").dateTime = a.timestamp;
  $("mult-mr-arm").textContent = `×${a.multipliers.mr_arm.toFixed(2)}`;
  $("mult-mr-trigger").textContent = `×${a.multipliers.mr_trigger.toFixed(2)}`;
  $("mult-tc-arm").textContent = `×${a.multipliers.tc_arm.toFixed(2)}`;
  $("mult-tc-trigger").textContent = `×${a.multipliers.tc_trigger.toFixed(2)}`;
  $("analysis-reasoning").textContent = a.reasoning;
}

function renderBias(resp) {
  const body = $("bias-table").tBodies[0];
  body.replaceChildren();
  for (const b of resp.items) {
    const tr = document.createElement("tr");
    cell(tr, b.symbol);
    cell(tr, b.bias, `bias-${b.bias}`);
    cell(tr, b.confidence.toFixed(2));
    cell(tr, b.htf_bias ?? "–");
    cell(tr, b.news_summary ?? "–");
    body.appendChild(tr);
  }
  $("bias-empty").hidden = resp.items.length > 0;
  $("bias-date").textContent = resp.date;
}

// ------------------------------------------------------------------ loading

async function checkHealth() {
  const badge = $("health");
  try {
    const h = await getJSON("/api/health");
    badge.dataset.state = h.status === "ok" ? "ok" : "down";
    badge.textContent = `API ${h.status}`;
  } catch (err) {
    badge.dataset.state = "down";
    badge.textContent = "API unreachable";
  }
}

// Without ?end=, show the period that has data: the newest trade's (or analysis') session,
// so a demo database from another month still shows its numbers.
async function anchorDate() {
  const today = todayNY();
  const range = { start_date: addDays(today, -3650), end_date: today };
  let best = null;
  try {
    const head = await getJSON("/api/trades", { ...range, limit: 1 });
    if (head.total > 0) {
      const last = await getJSON("/api/trades", { ...range, limit: 1, offset: head.total - 1 });
      if (last.items.length > 0) best = nyDate.format(new Date(last.items[0].exit_time));
    }
  } catch (_) { /* fall back below */ }
  try {
    const a = (await getJSON("/api/market-analysis")).analysis;
    if (a && (best === null || a.session_date > best)) best = a.session_date;
  } catch (_) { /* fall back below */ }
  return best || today;
}

async function loadTrades() {
  const range = { start_date: state.start, end_date: state.end };
  const head = await getJSON("/api/trades", { ...range, limit: 1 });
  const total = head.total;
  const stop = Math.max(0, total - state.page * PAGE_SIZE);
  const offset = Math.max(0, stop - PAGE_SIZE);
  const page = total === 0 ? head :
    await getJSON("/api/trades", { ...range, limit: Math.max(1, stop - offset), offset });
  renderTrades(page, total);
}

async function loadAll() {
  document.body.dataset.loaded = "false";
  $("error").hidden = true;
  const jobs = [
    getJSON("/api/pnl", { start_date: state.start, end_date: state.end }).then(renderPnl),
    loadTrades(),
    getJSON("/api/positions").then(renderPositions),
    getJSON("/api/market-analysis").then(renderAnalysis),
    getJSON("/api/daily-bias", { date: state.end }).then(renderBias),
  ];
  const results = await Promise.allSettled(jobs);
  for (const r of results) if (r.status === "rejected") showError(r.reason);
  document.body.dataset.loaded = "true";
}

async function main() {
  $("api-base").textContent = API;
  checkHealth();
  state.end = params.get("end") || (await anchorDate());
  state.start = params.get("start") || addDays(state.end, -364);
  $("start").value = state.start;
  $("end").value = state.end;
  await loadAll();
}

$("range-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.start = $("start").value;
  state.end = $("end").value;
  state.page = 0;
  loadAll();
});
$("prev-page").addEventListener("click", () => {
  state.page = Math.max(0, state.page - 1);
  loadTrades().catch(showError);
});
$("next-page").addEventListener("click", () => {
  state.page += 1;
  loadTrades().catch(showError);
});

main().catch((err) => { showError(err); document.body.dataset.loaded = "true"; });
