// The live status strip: GET /api/status (what the loop's handlers recorded) as one line
// that is green, amber or red by the server's rules (notify/status.py), with the reasons.
// Refreshes every minute (cheap: two small reads), so a tick that stops shows within a
// minute during the session. Uses app.js's globals (getJSON, runQuery, fmtTime, $).
"use strict";

const STATUS_REFRESH_MS = 60_000;
let statusTimer = null;

function statusAge(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  if (seconds < 90) return `${seconds}s ago`;
  return `${Math.round(seconds / 60)} min ago`;
}

function statusPart(label, value) {
  const span = document.createElement("span");
  span.className = "status-part";
  const b = document.createElement("b");
  b.textContent = label + " ";
  span.append(b, document.createTextNode(value));
  return span;
}

function renderStatus(s) {
  const strip = $("status-strip");
  strip.dataset.level = s.level;
  strip.hidden = false;
  $("status-level").textContent = s.level.toUpperCase();
  const parts = $("status-parts");
  parts.replaceChildren();
  const t = s.tick;
  let tick = statusAge(t.age_seconds);
  if (t.minutes !== null) tick += ` · ${t.minutes} min`;
  if (t.duration_ms !== null) tick += ` · ${(t.duration_ms / 1000).toFixed(1)} s`;
  parts.append(statusPart("Tick", tick));
  if (s.engine) {
    parts.append(statusPart("Engine", `${s.engine.armed} armed · ${s.engine.in_position} in position`));
  }
  const b = s.broker;
  const broker = b.reachable === null ? "unknown" : b.reachable ? "ok" : "unreachable";
  parts.append(statusPart("Broker", b.equity ? `${broker} · equity ${b.equity}` : broker));
  parts.append(statusPart("Kill switch", s.kill_switch ? "ON" : "off"));
  const a = s.analysis;
  let ana = a.at ? fmtTime(a.at) : "none";
  if (a.source) ana += ` · ${a.source}`;
  if (a.fallbacks_today) ana += ` · ${a.fallbacks_today} fallback(s)`;
  parts.append(statusPart("Analysis", ana));
  const q = s.queues;
  const depth = (n) => (n === null ? "?" : String(n));
  parts.append(statusPart("Queue", `${depth(q.queue_depth)} · DLQ ${depth(q.dlq_depth)}`));
  parts.append(statusPart("Errors today", String(s.errors_today)));
  $("status-reasons").textContent = s.reasons.map((r) => r.message).join(" · ");
  return s;
}

async function loadStatus() {
  try {
    return renderStatus(await getJSON("/api/status", runQuery({})));
  } catch (err) {
    const strip = $("status-strip");
    strip.hidden = false;
    strip.dataset.level = "unknown";
    $("status-level").textContent = "STATUS ?";
    $("status-parts").replaceChildren();
    $("status-reasons").textContent = err.message;
    return null;
  }
}

async function statusLoop() {
  const s = await loadStatus();
  clearTimeout(statusTimer);
  statusTimer = setTimeout(statusLoop, STATUS_REFRESH_MS);
  return s;
}

statusLoop();
