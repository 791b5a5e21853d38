// Portfolio page for the llm-advisor REST API. Plain browser JavaScript, no build step, no
// third-party code: it must work offline against `make api`. Money arrives as decimal
// strings and is displayed from the string (never re-rounded through a float); floats are
// used only to place points on the charts and to order rows. Formatting (New York time,
// money) is format.js; sortable tables are tables.js; the signals table is signals.js.
"use strict";

const params = new URLSearchParams(window.location.search);
// config.js (the owner's settings) defines ADVISOR_CONFIG; ?api= overrides its URL.
const CONFIG = window.ADVISOR_CONFIG || {};
const API = (params.get("api") || CONFIG.api || "http://127.0.0.1:8080").replace(/\/+$/, "");
const API_KEY = CONFIG.apiKey || "";
const PAGE_SIZE = 25;
const TRADE_PAGE = 500;   // the API's largest page
const TRADE_CAP = 5000;   // trades fetched for the table at most (the newest ones)
const SYMBOL_RE = /^[A-Z0-9.-]{1,10}$/;

// run: the run the page shows (null = the API's default: the account, else the latest
// local day; never a replay). runs: GET /api/runs, for the picker and the run's name.
// symbol: the symbol filter (null = all): trades, signals, positions and the z chart.
const state = {
  start: null, end: null, run: params.get("run") || null, runs: null,
  symbol: (params.get("symbol") || "").toUpperCase() || null,
};

// ------------------------------------------------------------------ helpers

async function getJSON(path, query) {
  const url = new URL(API + path);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Accept: "application/json" };
  if (API_KEY) headers["x-api-key"] = API_KEY;
  let resp;
  try {
    resp = await fetch(url, { headers });
  } catch (_) {
    // fetch rejects without a status when nothing answers (or CORS refuses the origin):
    // the browser's own "Failed to fetch" tells the reader nothing.
    const err = new Error(`The API at ${API} is not answering — is \`make api\` running?`);
    err.unreachable = true;
    throw err;
  }
  let body = null;
  try { body = await resp.json(); } catch (_) { /* non-JSON error page */ }
  if (resp.status === 403 || resp.status === 401) {
    const err = new Error(API_KEY
      ? `The API refused the key in config.js (HTTP ${resp.status}): check apiKey there.`
      : `The API needs a key (HTTP ${resp.status}): set apiKey in config.js to its x-api-key.`);
    err.keyProblem = true;
    throw err;
  }
  if (!resp.ok) {
    const msg = body && body.message ? body.message : resp.statusText;
    const rid = body && body.request_id ? ` (request ${body.request_id})` : "";
    throw new Error(`${path}: ${resp.status} ${msg}${rid}`);
  }
  return body;
}

// "Today" in New York (only a fallback: the page opens on the latest session with data).
function todayNY() { return nyDay(new Date().toISOString()); }

// Times everywhere on the page are New York time (format.js); kept under this name for
// the other scripts (status.js).
function fmtTime(iso) { return fmtET(iso); }

function setMoney(id, s, signed) {
  const el = $(id);
  el.textContent = fmtMoney(s, signed);
  el.className = el.className.replace(/\b(up|down)\b/g, "").trim();
  const c = signed ? moneyClass(s) : "";
  if (c) el.classList.add(c);
}

function showError(err) {
  const box = $("error");
  const msg = String(err && err.message ? err.message : err);
  // one line per distinct problem (a refused key fails every request the same way)
  const lines = box.hidden ? [] : box.textContent.split("\n");
  if (!lines.includes(msg)) lines.push(msg);
  box.textContent = lines.join("\n");
  box.hidden = false;
}

// The run scope of a request: omitted for the default run, so the API decides it.
function runQuery(query) { return state.run ? { ...query, run: state.run } : { ...query }; }

async function loadFeatures() {
  if (!$("feat-date").value) $("feat-date").value = state.end || todayNY();
  const symbol = $("feat-symbol").value.trim().toUpperCase();
  if (!symbol) return;
  $("feat-symbol").value = symbol;
  if (!SYMBOL_RE.test(symbol)) throw new Error(`symbol '${symbol}': use 1–10 of A–Z 0–9 . -`);
  drawFeatures(await getJSON("/api/features", runQuery({ symbol, date: $("feat-date").value })));
}

// ------------------------------------------------------------------ sections

// The symbol filter as a row predicate (null = every row).
function symbolFilter() {
  const sym = state.symbol;
  return sym ? (row) => row.symbol === sym : null;
}

// Minutes a trade was open (entry to exit), for the table and its ordering.
function heldMinutes(t) {
  if (!t.entry_time || !t.exit_time) return null;
  return Math.round((Date.parse(t.exit_time) - Date.parse(t.entry_time)) / 60000);
}

// Trades of the range (and symbol), sorted and paged in the browser so that any heading
// orders all of them, not one server page. Default: newest entry first.
const tradesTable = new SortableTable($("trades-table"), {
  entered: { kind: "time", value: (t) => t.entry_time, render: (tr, t) => timeCell(tr, t.entry_time) },
  symbol: { kind: "text", value: (t) => t.symbol, render: (tr, t) => cell(tr, t.symbol) },
  setup: { kind: "text", value: (t) => t.setup, render: (tr, t) => cell(tr, t.setup) },
  side: { kind: "text", value: (t) => t.side, render: (tr, t) => cell(tr, t.side) },
  qty: { kind: "num", value: (t) => t.qty, render: (tr, t) => cell(tr, String(t.qty), "num") },
  entry: { kind: "num", value: (t) => moneyKey(t.entry_price), render: (tr, t) => cell(tr, fmtMoney(t.entry_price), "num") },
  exit: { kind: "num", value: (t) => moneyKey(t.exit_price), render: (tr, t) => cell(tr, fmtMoney(t.exit_price), "num") },
  pnl: {
    kind: "num", value: (t) => moneyKey(t.pnl),
    render: (tr, t) => cell(tr, fmtMoney(t.pnl, true), `num ${moneyClass(t.pnl)}`),
  },
  exited: {
    kind: "time", value: (t) => t.exit_time,
    render: (tr, t) => {
      const td = timeCell(tr, t.exit_time);
      const held = heldMinutes(t);
      if (held !== null) td.append(` · ${held} min`);
    },
  },
  reason: { kind: "text", value: (t) => t.exit_reason, render: (tr, t) => cell(tr, t.exit_reason) },
}, {
  pageSize: PAGE_SIZE,
  pager: { prev: "prev-page", next: "next-page", info: "page-info" },
  rowId: (t) => `trade-${t.id}`,  // the chat's citations link here
  emptyId: "trades-empty",
  noun: "trades",
});

const positionsTable = new SortableTable($("positions-table"), {
  symbol: { kind: "text", value: (p) => p.symbol, render: (tr, p) => cell(tr, p.symbol) },
  side: { kind: "text", value: (p) => p.side, render: (tr, p) => cell(tr, p.side) },
  qty: { kind: "num", value: (p) => p.qty, render: (tr, p) => cell(tr, String(p.qty), "num") },
  entry: { kind: "num", value: (p) => moneyKey(p.entry_price), render: (tr, p) => cell(tr, fmtMoney(p.entry_price), "num") },
  mark: { kind: "num", value: (p) => moneyKey(p.mark_price), render: (tr, p) => cell(tr, fmtMoney(p.mark_price), "num") },
  unrealized: {
    kind: "num", value: (p) => moneyKey(p.unrealized_pnl),
    render: (tr, p) => cell(tr, fmtMoney(p.unrealized_pnl, true), `num ${moneyClass(p.unrealized_pnl)}`),
  },
  stop: { kind: "num", value: (p) => moneyKey(p.stop_price), render: (tr, p) => cell(tr, fmtMoney(p.stop_price), "num") },
  target: { kind: "num", value: (p) => moneyKey(p.target_price), render: (tr, p) => cell(tr, fmtMoney(p.target_price), "num") },
  since: { kind: "time", value: (p) => p.entry_time, render: (tr, p) => timeCell(tr, p.entry_time) },
}, { emptyId: "positions-empty" });

const biasTable = new SortableTable($("bias-table"), {
  symbol: { kind: "text", value: (b) => b.symbol, render: (tr, b) => cell(tr, b.symbol) },
  bias: { kind: "text", value: (b) => b.bias, render: (tr, b) => cell(tr, b.bias, `bias-${b.bias}`) },
  confidence: { kind: "num", value: (b) => b.confidence, render: (tr, b) => cell(tr, b.confidence.toFixed(2), "num") },
  htf: { kind: "text", value: (b) => b.htf_bias, render: (tr, b) => cell(tr, b.htf_bias ?? "–") },
  news: { kind: "text", value: (b) => b.news_summary, render: (tr, b) => cell(tr, b.news_summary ?? "–") },
}, { emptyId: "bias-empty" });

// Symbols seen anywhere (the run's list, loaded rows) feed the filter's suggestions.
const knownSymbols = new Set();
function noteSymbols(symbols) {
  let added = false;
  for (const s of symbols) if (s && !knownSymbols.has(s)) { knownSymbols.add(s); added = true; }
  if (!added) return;
  $("symbol-list").replaceChildren(...[...knownSymbols].sort().map((s) => {
    const opt = document.createElement("option");
    opt.value = s;
    return opt;
  }));
}

function renderPnl(p) {
  setMoney("total-pnl", p.total_realized, true);
  $("trade-count").textContent = String(p.trades);
  $("win-rate").textContent = pct(p.win_rate);
  setMoney("max-drawdown", p.max_drawdown, false);
  setMoney("total-fees", p.total_fees, false);
  $("cards-scope").textContent = `${p.start_date} → ${p.end_date} · all symbols` +
    (state.symbol ? ` (the tables below show ${state.symbol} only)` : "");
  drawEquity(p.equity_curve);
  drawDaily(p.days);
}

function renderTrades(rows, total, range) {
  const sym = state.symbol ? ` · ${state.symbol}` : "";
  const cut = rows.length < total ? ` · the newest ${rows.length} of ${total}` : "";
  $("trades-range").textContent = `${range.start_date} → ${range.end_date}${sym}${cut}`;
  tradesTable.setRows(rows);
  noteSymbols(rows.map((t) => t.symbol));
}

function renderPositions(resp) {
  positionsTable.filter = symbolFilter();
  positionsTable.setRows(resp.items);
  const shown = positionsTable.visible().length;
  $("positions-info").textContent = state.symbol ? `· ${state.symbol}: ${shown} of ${resp.items.length}` : "";
  $("positions-empty").textContent = state.symbol && resp.items.length > 0 ?
    `No open position in ${state.symbol}.` : "No open positions.";
  setMoney("total-unrealized", resp.total_unrealized_pnl, true);
  noteSymbols(resp.items.map((p) => p.symbol));
}

function renderAnalysis(resp) {
  const a = resp.analysis;
  $("analysis-empty").hidden = a !== null;
  $("analysis-body").hidden = a === null;
  if (a === null) return;
  $("analysis-assessment").textContent = a.market_assessment;
  $("analysis-confidence").textContent = a.confidence.toFixed(2);
  $("analysis-provider").textContent = a.model ? `${a.provider} / ${a.model}` : a.provider;
  $("analysis-time").textContent = fmtET(a.timestamp);
  $("analysis-time").dateTime = a.timestamp;
  $("analysis-time").title = a.timestamp;
  $("mult-mr-arm").textContent = `×${a.multipliers.mr_arm.toFixed(2)}`;
  $("mult-mr-trigger").textContent = `×${a.multipliers.mr_trigger.toFixed(2)}`;
  $("mult-tc-arm").textContent = `×${a.multipliers.tc_arm.toFixed(2)}`;
  $("mult-tc-trigger").textContent = `×${a.multipliers.tc_trigger.toFixed(2)}`;
  $("analysis-reasoning").textContent = a.reasoning;
}

function renderBias(resp) {
  biasTable.filter = symbolFilter();
  biasTable.setRows(resp.items);
  $("bias-empty").textContent = state.symbol ?
    `No bias stored for ${state.symbol} on this date.` : "No bias stored for this date.";
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
    badge.textContent = err.keyProblem ? "API key refused" : "API unreachable";
  }
}

// The session the page shows in detail (signals, z chart, bias): the "Session" date.
function sessionDate() { return $("feat-date").value || state.end || todayNY(); }

// Without ?end=, show the latest session with data, not today (a demo database is dated
// in the past): the run's last session from /api/runs (its end date), else the newest
// trade's session; a later analysis session wins (the account before its first trade of
// the day). Today only when nothing is stored.
async function anchorDate() {
  const today = todayNY();
  const range = { start_date: addDays(today, -3650), end_date: today };
  let best = null;
  const runId = state.run || (state.runs && state.runs.default_run_id);
  const run = state.runs && state.runs.items.find((r) => r.run_id === runId);
  if (run && run.end_date) {
    best = run.end_date;
  } else {
    try {
      const head = await getJSON("/api/trades", runQuery({ ...range, limit: 1 }));
      if (head.total > 0) {
        const last = await getJSON("/api/trades", runQuery({ ...range, limit: 1, offset: head.total - 1 }));
        if (last.items.length > 0) best = nyDay(last.items[0].exit_time);
      }
    } catch (_) { /* fall back below */ }
  }
  try {
    const a = (await getJSON("/api/market-analysis", runQuery())).analysis;
    if (a && (best === null || a.session_date > best)) best = a.session_date;
  } catch (_) { /* fall back below */ }
  return best || today;
}

// Every trade of the range (and symbol), newest TRADE_CAP at most, in the API's order.
async function loadTrades() {
  const range = { start_date: state.start, end_date: state.end, symbol: state.symbol };
  const head = await getJSON("/api/trades", runQuery({ ...range, limit: 1 }));
  const total = head.total;
  const rows = [];
  for (let offset = Math.max(0, total - TRADE_CAP); offset < total; offset += TRADE_PAGE) {
    const page = await getJSON("/api/trades", runQuery({ ...range, limit: TRADE_PAGE, offset }));
    rows.push(...page.items);
    if (page.items.length === 0) break;
  }
  renderTrades(rows, total, head);
}

async function loadAll() {
  document.body.dataset.loaded = "false";
  $("error").hidden = true;
  const day = sessionDate();
  const jobs = [
    getJSON("/api/pnl", runQuery({ start_date: state.start, end_date: state.end }))
      .then((p) => { renderPnl(p); renderRun(p.run_id); }),
    loadTrades(),
    getJSON("/api/positions", runQuery()).then(renderPositions),
    getJSON("/api/market-analysis", runQuery()).then(renderAnalysis),
    getJSON("/api/daily-bias", { date: day }).then(renderBias),
    loadFeatures(),
    loadSignals(),
    loadTruth(),  // truth.js: the run's truth report of the session
  ];
  const results = await Promise.allSettled(jobs);
  for (const r of results) if (r.status === "rejected") showError(r.reason);
  document.body.dataset.loaded = "true";
}

// ------------------------------------------------------------------ runs

async function loadRuns() {
  try {
    state.runs = await getJSON("/api/runs");
  } catch (err) {
    showError(err);
    return;
  }
  const select = $("run");
  select.replaceChildren();
  const runs = state.runs.items;
  const add = (value, text) => {
    const opt = document.createElement("option");
    opt.value = value;
    opt.textContent = text;
    select.appendChild(opt);
  };
  for (const r of runs) {
    const def = r.run_id === state.runs.default_run_id ? " · default" : "";
    add(r.run_id, `${r.label} (${r.kind}, ${r.trades} trades)${def}`);
  }
  // The account's run is the default even before it is listed (nothing recorded yet).
  if (!runs.some((r) => r.run_id === state.runs.default_run_id)) {
    add(state.runs.default_run_id, `${state.runs.default_run_id} · default`);
  }
  if (state.run && !select.querySelector(`option[value="${CSS.escape(state.run)}"]`)) {
    add(state.run, `${state.run} (not stored)`);  // unknown: the API will say so
  }
  select.value = state.run || state.runs.default_run_id;
  const shown = runs.find((r) => r.run_id === select.value);
  if (shown) noteSymbols(shown.symbols || []);
}

// Name the run the figures come from (the API echoes it in every portfolio response).
function renderRun(runId) {
  const r = state.runs && state.runs.items.find((x) => x.run_id === runId);
  $("run-id").textContent = runId;
  $("run-label").textContent = r ? r.label : runId;
  $("run-kind").textContent = r ? r.kind : "no records yet";
  $("run-kind").dataset.kind = r ? r.kind : "";
  document.body.dataset.run = runId;
}

async function showRange() {
  state.end = params.get("end") || (await anchorDate());
  state.start = params.get("start") || addDays(state.end, -364);
  $("start").value = state.start;
  $("end").value = state.end;
  $("feat-date").value = params.get("date") || state.end;
  $("symbol").value = state.symbol || "";
  if (state.symbol && !readSymbol()) state.symbol = null;  // ?symbol= was not a symbol
  if (state.symbol) $("feat-symbol").value = state.symbol;
  else if (!$("feat-symbol").value) $("feat-symbol").value = "SPY";
}

async function main() {
  $("api-base").textContent = API;
  checkHealth();
  await loadRuns();
  await showRange();
  await loadAll();
}

// Keep the view in the address, so a reload or a shared link shows the same thing.
function setParam(name, value) {
  const url = new URL(window.location.href);
  if (value) url.searchParams.set(name, value); else url.searchParams.delete(name);
  window.history.replaceState(null, "", url);
}

// Read the symbol filter; false (and a one-line message) when it is not a symbol.
function readSymbol() {
  const raw = $("symbol").value.trim().toUpperCase();
  if (raw && !SYMBOL_RE.test(raw)) {
    showError(new Error(`symbol '${raw}': use 1–10 of A–Z 0–9 . - (or leave it empty for all)`));
    return false;
  }
  $("symbol").value = raw;
  state.symbol = raw || null;
  setParam("symbol", state.symbol);
  if (state.symbol) $("feat-symbol").value = state.symbol;
  return true;
}

$("run").addEventListener("change", async () => {
  state.run = $("run").value || null;
  setParam("run", state.run);
  $("error").hidden = true;
  document.body.dataset.loaded = "false";
  try {
    await showRange();  // another run may cover other dates
    await loadAll();
  } catch (err) {
    showError(err);
    document.body.dataset.loaded = "true";
  }
});

// Picking a symbol applies at once; Enter in the field submits the form as well, so the
// change is applied after the event (the submit, if any, cancels it and loads instead).
let symbolTimer = null;
$("symbol").addEventListener("change", () => {
  clearTimeout(symbolTimer);
  symbolTimer = setTimeout(() => {
    const before = state.symbol;
    if (readSymbol() && state.symbol !== before) loadAll();
  }, 0);
});

$("range-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  clearTimeout(symbolTimer);
  $("error").hidden = true;
  if (!readSymbol()) return;
  state.start = $("start").value;
  state.end = $("end").value;
  loadAll();
});
$("features-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  $("error").hidden = true;
  setParam("date", $("feat-date").value);
  Promise.allSettled([
    loadFeatures(), loadSignals(), getJSON("/api/daily-bias", { date: sessionDate() }).then(renderBias),
    loadTruth(),
  ]).then((results) => {
    for (const r of results) if (r.status === "rejected") showError(r.reason);
  });
});

main().catch((err) => { showError(err); document.body.dataset.loaded = "true"; });
