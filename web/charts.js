// The page's charts as inline SVG (no chart library: the page must work offline): equity
// curve, daily realized P/L, and one symbol's z through a session against the thresholds.
// Labels follow the page's rule: New York dates and times (format.js).
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

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
  svg.appendChild(svgEl("text", { x: pad.l, y: h - 6 })).textContent = nyDay(points[0].time);
  const last = svgEl("text", { x: w - pad.r, y: h - 6, "text-anchor": "end" });
  last.textContent = nyDay(points[points.length - 1].time);
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

// z of one symbol through one session against the thresholds in force at each minute
// (GET /api/features): ± each threshold, as the state machine compares |z| with them.
const THRESHOLDS = [
  ["mr_arm_z", "thr-mr-arm"], ["mr_trigger_z", "thr-mr-trigger"],
  ["tc_arm_z", "thr-tc-arm"], ["tc_trigger_z", "thr-tc-trigger"],
];

// Polyline point lists of one series, broken where a value is null (z undefined).
function segments(values, x, y) {
  const out = [];
  let cur = [];
  values.forEach((v, i) => {
    if (v === null || v === undefined) {
      if (cur.length) out.push(cur);
      cur = [];
      return;
    }
    cur.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (cur.length) out.push(cur);
  return out;
}

function drawFeatures(resp) {
  const { svg, w, h, pad } = chartFrame($("features-chart"));
  const items = resp.items;
  $("features-info").textContent = `${resp.symbol} · ${resp.date} · ${items.length} minutes`;
  if (items.length === 0) {
    svg.appendChild(svgEl("text", { x: pad.l, y: h / 2 })).textContent =
      "no minutes logged for this symbol and date";
    return;
  }
  const series = [["z", items.map((m) => m.z), "z-line"]];
  for (const [key, cls] of THRESHOLDS) {
    series.push([`+${key}`, items.map((m) => m.thresholds[key]), cls]);
    series.push([`-${key}`, items.map((m) => -m.thresholds[key]), cls]);
  }
  const all = series.flatMap(([, vals]) => vals.filter((v) => v !== null));
  const hi = Math.max(...all), lo = Math.min(...all);
  const span = hi - lo || 1;
  const x = (i) => pad.l + (items.length === 1 ? 0 : (i / (items.length - 1)) * (w - pad.l - pad.r));
  const y = (v) => pad.t + (1 - (v - lo) / span) * (h - pad.t - pad.b);
  svg.appendChild(svgEl("line", { class: "axis", x1: pad.l, x2: w - pad.r, y1: y(0), y2: y(0) }));
  for (const [name, vals, cls] of series.reverse()) {  // z last: drawn on top
    for (const pts of segments(vals, x, y)) {
      svg.appendChild(svgEl("polyline", { class: cls, "data-series": name, points: pts.join(" ") }));
    }
  }
  svg.appendChild(svgEl("text", { x: 4, y: y(hi) + 10 })).textContent = `z ${hi.toFixed(2)}`;
  svg.appendChild(svgEl("text", { x: 4, y: y(lo) })).textContent = `z ${lo.toFixed(2)}`;
  svg.appendChild(svgEl("text", { x: pad.l, y: h - 6 })).textContent = fmtET(items[0].time, false);
  const last = svgEl("text", { x: w - pad.r, y: h - 6, "text-anchor": "end" });
  last.textContent = fmtET(items[items.length - 1].time, false);
  svg.appendChild(last);
}
