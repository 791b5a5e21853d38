// The signals table: every signal the engine raised in the session the page shows (the
// "Session" date of the z chart), accepted and rejected, with the reason of a rejection
// and the arm/trigger thresholds of the signal's setup in force at that minute, so a
// rejected or taken signal can be read against the z chart above it. One session, not the
// whole range: a year of a 500-symbol universe is 100,000+ signals.
// Uses app.js's getJSON, runQuery and state at call time.
"use strict";

const SIGNAL_PAGE = 500;  // the API's largest page
const SIGNAL_CAP = 5000;  // rows fetched for one session at most
const SIGNAL_ROWS = 50;   // rows per page of the table

// The arm/trigger |z| pair of the signal's own setup (MR or TC).
function setupThresholds(s) {
  const t = s.thresholds || {};
  return s.setup === "TC" ? [t.tc_arm_z, t.tc_trigger_z] : [t.mr_arm_z, t.mr_trigger_z];
}

function thresholdTitle(s) {
  const t = s.thresholds || {};
  return `MR arm ${fmtNum(t.mr_arm_z, 2)} · MR trigger ${fmtNum(t.mr_trigger_z, 2)} · ` +
    `TC arm ${fmtNum(t.tc_arm_z, 2)} · TC trigger ${fmtNum(t.tc_trigger_z, 2)}`;
}

const signalsTable = new SortableTable($("signals-table"), {
  time: { kind: "time", value: (s) => s.signal_time, render: (tr, s) => timeCell(tr, s.signal_time, false) },
  symbol: { kind: "text", value: (s) => s.symbol, render: (tr, s) => cell(tr, s.symbol) },
  setup: { kind: "text", value: (s) => s.setup, render: (tr, s) => cell(tr, s.setup) },
  side: { kind: "text", value: (s) => s.side, render: (tr, s) => cell(tr, s.side) },
  status: {
    kind: "text", value: (s) => s.status,
    render: (tr, s) => cell(tr, s.status, `status-${s.status}`),
  },
  reason: {
    kind: "text", value: (s) => s.reject_reason || null,
    render: (tr, s) => cell(tr, s.reject_reason || "–"),
  },
  z: { kind: "num", value: (s) => s.z, render: (tr, s) => cell(tr, fmtNum(s.z, 2), "num") },
  arm: {
    kind: "num", value: (s) => setupThresholds(s)[0] ?? null,
    render: (tr, s) => { cell(tr, fmtNum(setupThresholds(s)[0], 2), "num").title = thresholdTitle(s); },
  },
  trigger: {
    kind: "num", value: (s) => setupThresholds(s)[1] ?? null,
    render: (tr, s) => { cell(tr, fmtNum(setupThresholds(s)[1], 2), "num").title = thresholdTitle(s); },
  },
  price: { kind: "num", value: (s) => moneyKey(s.ref_price), render: (tr, s) => cell(tr, fmtMoney(s.ref_price), "num") },
  stop: { kind: "num", value: (s) => moneyKey(s.stop_price), render: (tr, s) => cell(tr, fmtMoney(s.stop_price), "num") },
  qty: { kind: "num", value: (s) => s.qty, render: (tr, s) => cell(tr, String(s.qty), "num") },
}, {
  pageSize: SIGNAL_ROWS,
  pager: { prev: "signals-prev", next: "signals-next", info: "signals-page-info" },
  rowId: (s) => `signal-${s.client_order_id || s.signal_time + "-" + s.symbol}`,
  emptyId: "signals-empty",
  noun: "signals",
});

function signalStatusFilter() {
  const want = $("signal-status").value;
  return want ? (s) => s.status === want : null;
}

// All signals of one session (and symbol), page by page up to SIGNAL_CAP.
async function fetchSignals(day, symbol) {
  const rows = [];
  let offset = 0;
  while (offset !== null && rows.length < SIGNAL_CAP) {
    const page = await getJSON("/api/signals", runQuery({
      start_date: day, end_date: day, symbol, limit: SIGNAL_PAGE, offset,
    }));
    rows.push(...page.items);
    offset = page.next_offset;
  }
  return { rows, truncated: offset !== null };
}

async function loadSignals() {
  const day = $("feat-date").value || state.end;
  const symbol = state.symbol || null;
  const { rows, truncated } = await fetchSignals(day, symbol);
  const rejected = rows.filter((s) => s.status === "rejected").length;
  $("signals-info").textContent = `${day}${symbol ? " · " + symbol : ""} · ` +
    `${rows.length - rejected} accepted, ${rejected} rejected` +
    (truncated ? ` · first ${SIGNAL_CAP} only` : "");
  signalsTable.filter = signalStatusFilter();
  signalsTable.setRows(rows);
  noteSymbols(rows.map((s) => s.symbol));
}

$("signal-status").addEventListener("change", () => signalsTable.setFilter(signalStatusFilter()));
