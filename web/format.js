// Formatting shared by the page's scripts (loaded first; plain globals, no build step).
// Times: the API speaks UTC ("2024-03-08T14:35:00Z"); traders think in New York time, so
// every time on the page is shown in America/New_York with "ET" after it, and the exact
// UTC instant stays one hover away (title) and machine-readable (<time datetime>).
// Money arrives as decimal strings and is formatted from the string, never via a float.
"use strict";

const $ = (id) => document.getElementById(id);
const NY_ZONE = "America/New_York";
const nyDate = new Intl.DateTimeFormat("en-CA", {
  timeZone: NY_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
});
const nyClock = new Intl.DateTimeFormat("en-US", {
  timeZone: NY_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

// {year, month, day, hour, minute} of an instant on the New York wall clock.
function nyParts(iso) {
  const out = {};
  for (const p of nyClock.formatToParts(new Date(iso))) out[p.type] = p.value;
  return out;
}

// "2024-03-08 09:35 ET", or "09:35 ET" with withDate=false (a table of one session).
function fmtET(iso, withDate = true) {
  if (!iso) return "–";
  const p = nyParts(iso);
  const hm = `${p.hour}:${p.minute} ET`;
  return withDate ? `${p.year}-${p.month}-${p.day} ${hm}` : hm;
}

// The New York session date of an instant ("2024-03-08").
function nyDay(iso) { return nyDate.format(new Date(iso)); }

function addDays(isoDay, n) {
  const d = new Date(isoDay + "T12:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

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

function fmtNum(x, digits) { return x === null || x === undefined ? "–" : x.toFixed(digits); }

// A number for sorting from a money string (order only: display keeps the string).
function moneyKey(s) { return s === null || s === undefined ? null : parseFloat(s); }

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

// A <time> showing New York time; the tooltip is the exact UTC instant the API sent.
function timeEl(iso, withDate = true) {
  const t = document.createElement("time");
  t.textContent = fmtET(iso, withDate);
  if (iso) { t.dateTime = iso; t.title = iso; }
  return t;
}

function timeCell(tr, iso, withDate = true) {
  const td = document.createElement("td");
  td.appendChild(timeEl(iso, withDate));
  tr.appendChild(td);
  return td;
}
