// "Ask the portfolio": the chat panel. POST /api/chat with the question (and the run the
// page shows); the answer, its citations (links to the rows they name) and the data table
// the answer came from. Uses app.js's globals (API, API_KEY, state, $) and, like the other
// calls, sends the key from config.js. Text is inserted as text, never as HTML.
"use strict";

const chatHistory = [];

async function postChat(question) {
  const headers = { Accept: "application/json", "Content-Type": "application/json" };
  if (API_KEY) headers["x-api-key"] = API_KEY;
  const body = { question, history: chatHistory.slice(-6) };
  if (state.run) body.run = state.run;
  const resp = await fetch(API + "/api/chat", { method: "POST", headers, body: JSON.stringify(body) });
  let data = null;
  try { data = await resp.json(); } catch (_) { /* non-JSON error page */ }
  if (!resp.ok) {
    const msg = data && data.message ? data.message : resp.statusText;
    throw new Error(`HTTP ${resp.status}: ${msg}`);
  }
  return data;
}

// Where a citation points on this page: the trades table row when it is shown, else the
// chat's own data table row; the analysis, bias and P/L panels for their kinds.
function citationTarget(c) {
  if (c.kind === "trade") return $(`trade-${c.id}`) ? `trade-${c.id}` : `chat-trade-${c.id}`;
  return {
    analysis: "analysis", daily_bias: "bias-table", pnl_day: "daily-chart",
    position: "positions-table", signal: `chat-signal-${c.id}`, features: "features-chart",
  }[c.kind] || "chat-data";
}

function renderCitations(citations) {
  const list = $("chat-citations");
  list.replaceChildren();
  for (const c of citations) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `#${citationTarget(c)}`;
    a.className = "citation";
    a.dataset.kind = c.kind;
    a.dataset.id = c.id;
    a.textContent = `${c.kind} ${c.id}${c.symbol ? " · " + c.symbol : ""}${c.date ? " · " + c.date : ""}`;
    li.appendChild(a);
    list.appendChild(li);
  }
  $("chat-sources").hidden = citations.length === 0;
}

function renderChatData(data) {
  const table = $("chat-data");
  const cols = data.columns || [];
  const rows = data.rows || [];
  table.tHead.replaceChildren();
  table.tBodies[0].replaceChildren();
  table.hidden = cols.length === 0 || rows.length === 0;
  if (table.hidden) return;
  const head = document.createElement("tr");
  for (const c of cols) { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); }
  table.tHead.appendChild(head);
  for (const r of rows) {
    const tr = document.createElement("tr");
    if (data.tool === "trades" || data.tool === "why") tr.id = `chat-trade-${r.id}`;
    for (const c of cols) {
      const td = document.createElement("td");
      td.textContent = r[c] === null || r[c] === undefined ? "–" : String(r[c]);
      tr.appendChild(td);
    }
    table.tBodies[0].appendChild(tr);
  }
}

async function askChat(question) {
  $("chat-answer").textContent = "…";
  $("chat-panel").dataset.state = "asking";
  try {
    const res = await postChat(question);
    $("chat-answer").textContent = res.answer;
    $("chat-meta").textContent = `run ${res.run_id} · ${res.answerer}`;
    renderCitations(res.citations);
    renderChatData(res.data || {});
    chatHistory.push({ role: "user", content: question }, { role: "assistant", content: res.answer.slice(0, 1900) });
    $("chat-panel").dataset.state = "answered";
  } catch (err) {
    $("chat-answer").textContent = `Could not ask: ${err.message}`;
    renderCitations([]);
    renderChatData({});
    $("chat-panel").dataset.state = "error";
  }
}

$("chat-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = $("chat-question").value.trim();
  if (q) askChat(q);
});
for (const b of document.querySelectorAll("#chat-panel .chat-example")) {
  b.addEventListener("click", () => { $("chat-question").value = b.textContent; askChat(b.textContent); });
}
