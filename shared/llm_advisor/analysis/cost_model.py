"""What a recorded day of LLM calls would cost on each provider and model, cached or not.

Input: ledger records (what was asked, when). Each record is re-priced on every row of the
price table, so one recorded day answers "Bedrock or the API? Haiku, Sonnet or gpt-4o-mini?
does prompt caching pay?" from the same prompts. Tokens are estimated offline, the way the
LLM benchmark does (characters / 3.5 for system, user and tool schema, plus Anthropic's
313-token forced-tool overhead on Claude; OpenAI publishes no fixed overhead, so none is
added there): every model is priced on the same estimate, not on its own tokenizer.

Caching is simulated call by call in time order, per cacheable prefix (system prompt + tool
schema: the only part of a request that repeats): a prefix shorter than the model's minimum
is never cached (billed as plain input); otherwise the first use, or a use after the TTL ran
out since the last one, writes the cache (Anthropic/Bedrock: the write price; OpenAI: plain
input) and a use within the TTL reads it (the TTL restarts on every use). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from llm_advisor.analysis.ledger import LLMCallRecord, canonical_json
from llm_advisor.analysis.price_table import AS_OF, CACHE_TTL_MINUTES, ROWS, PriceRow
from llm_advisor.analysis.pricing import Price
from llm_advisor.analysis.prompts import TOOL_USE_OVERHEAD_TOKENS, approx_tokens
from llm_advisor.core.calendar import NY

SESSIONS_PER_MONTH = 21
TOOL_USE_FRAMING_TOKENS = 20  # the tool_use block around the answer's JSON
OPENAI_CACHE_STEP = 128  # OpenAI caches prefixes in 128-token steps past the minimum
_UNIVERSE = re.compile(r"Universe: (\d+) symbols")
ANALYSIS_TOOL = "market_analysis"


@dataclass(frozen=True)
class CallTokens:
    """One call as a provider would bill it (estimated)."""

    tool: str
    at: datetime
    day: date
    prefix_key: str
    prefix_tokens: int  # system + tool schema (+ forced-tool overhead): the cacheable part
    input_tokens: int
    output_tokens: int


def universe_size(record: LLMCallRecord) -> int | None:
    """Symbols in the view the prompt was built from (its "Universe: N symbols" line)."""
    m = _UNIVERSE.search(str(record.request.get("user", "")))
    return int(m.group(1)) if m else None


def billed(record: LLMCallRecord) -> bool:
    """Calls that reached a provider: budget/breaker skips were never sent."""
    return not (record.error or "").startswith("skipped")


def output_tokens(record: LLMCallRecord) -> int:
    resp = record.response or {}
    tool_input = resp.get("tool_input")
    if isinstance(tool_input, dict):
        return approx_tokens(json.dumps(tool_input)) + TOOL_USE_FRAMING_TOKENS
    return approx_tokens(str(resp.get("text") or ""))


def call_tokens(record: LLMCallRecord, provider: str) -> CallTokens:
    req = record.request
    system, user = str(req.get("system", "")), str(req.get("user", ""))
    tool, desc = str(req.get("tool", "")), str(req.get("tool_description", ""))
    schema = req.get("schema") or {}
    tool_tokens = approx_tokens(tool + desc + json.dumps(schema, separators=(",", ":")))
    overhead = 0 if provider == "openai" else TOOL_USE_OVERHEAD_TOKENS
    prefix = approx_tokens(system) + tool_tokens + overhead
    key = hashlib.sha256(canonical_json([system, tool, desc, schema]).encode()).hexdigest()
    return CallTokens(
        tool=tool,
        at=record.created_at,
        day=record.created_at.astimezone(NY).date(),
        prefix_key=key,
        prefix_tokens=prefix,
        input_tokens=prefix + approx_tokens(user),
        output_tokens=output_tokens(record),
    )


@dataclass(frozen=True)
class Scenario:
    """One way of buying the calls: a price-table row and a caching choice."""

    row: PriceRow
    caching: str  # "none", "5m", "1h" (Anthropic/Bedrock TTLs) or "auto" (OpenAI)
    ttl: timedelta | None

    @property
    def price(self) -> Price:
        return Price.of_row(self.row)

    @property
    def label(self) -> tuple[str, str, str]:
        return self.row.provider, self.row.family, self.caching


def scenarios(rows: Sequence[PriceRow] = ROWS) -> list[Scenario]:
    out: list[Scenario] = []
    for row in rows:
        out.append(Scenario(row, "none", None))
        for minutes in CACHE_TTL_MINUTES.get(row.provider, ()):
            name = "auto" if row.cache_write_5m is None else ("5m" if minutes == 5 else "1h")
            out.append(Scenario(row, name, timedelta(minutes=minutes)))
    return out


@dataclass
class DayCost:
    """Totals over the priced calls, and per day over the sessions they span."""

    days: int = 0
    analyses: int = 0
    validations: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    usd: Decimal = Decimal(0)

    def per_day(self, n: int | Decimal) -> Decimal:
        return Decimal(n) / max(self.days, 1)


def _m(tokens: int, per_mtok: Decimal) -> Decimal:
    return Decimal(tokens) * per_mtok / Decimal(1_000_000)


def price_calls(calls: Iterable[CallTokens], sc: Scenario) -> DayCost:
    p = sc.price
    total = DayCost()
    last: dict[str, datetime] = {}
    days: set[date] = set()
    for c in sorted(calls, key=lambda c: c.at):
        days.add(c.day)
        total.analyses += c.tool == ANALYSIS_TOOL
        total.validations += c.tool != ANALYSIS_TOOL
        total.input_tokens += c.input_tokens
        total.output_tokens += c.output_tokens
        total.usd += _m(c.output_tokens, p.output_per_mtok)
        cacheable = (
            sc.ttl is not None
            and p.cache_read_per_mtok is not None
            and c.prefix_tokens >= p.min_cache_tokens
        )
        if not cacheable:
            total.usd += _m(c.input_tokens, p.input_per_mtok)
            continue
        assert sc.ttl is not None and p.cache_read_per_mtok is not None
        cached = c.prefix_tokens
        if p.cache_write_5m_per_mtok is None:  # OpenAI: whole 128-token steps only
            cached -= cached % OPENAI_CACHE_STEP
        total.usd += _m(c.input_tokens - cached, p.input_per_mtok)
        prev = last.get(c.prefix_key)
        if prev is not None and c.at - prev <= sc.ttl:
            total.cache_read_tokens += cached
            total.usd += _m(cached, p.cache_read_per_mtok)
        else:
            write = p.cache_write_1h_per_mtok if sc.caching == "1h" else p.cache_write_5m_per_mtok
            total.cache_write_tokens += cached
            total.usd += _m(cached, write if write is not None else p.input_per_mtok)
        last[c.prefix_key] = c.at
    total.days = len(days)
    return total


@dataclass
class CostReport:
    """Per scenario, per universe size (symbols in the prompts): the priced day."""

    groups: list[int | None]
    rows: list[tuple[Scenario, dict[int | None, DayCost]]] = field(default_factory=list)
    prefix_tokens: dict[str, int] = field(default_factory=dict)  # tool -> Claude prefix
    recorded: dict[int | None, tuple[int, int, Decimal]] = field(default_factory=dict)


def cost_report(
    records: Iterable[LLMCallRecord],
    symbols: int | None = None,
    rows: Sequence[PriceRow] = ROWS,
) -> CostReport:
    """Price ``records`` on every scenario, one column group per universe size.

    A validation prompt carries the same universe line as the analyses of its day, so each
    validation lands in its day's group."""
    by_group: dict[int | None, list[LLMCallRecord]] = defaultdict(list)
    for r in records:
        n = universe_size(r)
        if billed(r) and (symbols is None or n == symbols):
            by_group[n].append(r)
    groups = sorted(by_group, key=lambda g: (g is None, g or 0))
    report = CostReport(groups)
    for g in groups:
        recs = by_group[g]
        report.recorded[g] = (
            sum(r.tokens_in for r in recs),
            sum(r.tokens_out for r in recs),
            sum((r.cost_usd for r in recs), Decimal(0)),
        )
    tokens = {
        prov: {g: [call_tokens(r, prov) for r in by_group[g]] for g in groups}
        for prov in ("openai", "claude")
    }
    for c in (c for cs in tokens["claude"].values() for c in cs):
        report.prefix_tokens.setdefault(c.tool, c.prefix_tokens)
    for sc in scenarios(rows):
        calls = tokens["openai" if sc.row.provider == "openai" else "claude"]
        report.rows.append((sc, {g: price_calls(calls[g], sc) for g in groups}))
    return report


def _money(x: Decimal, places: int) -> str:
    return f"${x:,.{places}f}"


def render(report: CostReport, sessions_per_month: int = SESSIONS_PER_MONTH) -> str:
    """A markdown table: one row per (provider, model, caching), columns per universe size."""
    if not report.groups:
        return "no billed LLM calls to price"

    def gname(g: int | None) -> str:
        return f"{g} sym" if g is not None else "all"

    head = ["provider", "model", "caching", "price status"]
    for g in report.groups:
        n = gname(g)
        head += [f"{n}: in tok/day", "out tok/day", "$/day", f"$/month ({sessions_per_month})"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for sc, by in report.rows:
        cells = [sc.row.provider, sc.row.family, sc.caching, sc.row.status]
        for g in report.groups:
            d = by[g]
            day = d.per_day(d.usd)
            cells += [
                f"{d.per_day(d.input_tokens):,.0f}",
                f"{d.per_day(d.output_tokens):,.0f}",
                _money(day, 4),
                _money(day * sessions_per_month, 2),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    first = report.rows[0][1] if report.rows else {}
    notes = [
        f"Prices as of {AS_OF} (shared/llm_advisor/analysis/price_table.py); tokens estimated "
        "offline (characters / 3.5 + tool schema, + 313 forced-tool tokens on Claude).",
    ]
    for g in report.groups:
        d = first[g]
        notes.append(
            f"{gname(g)}: {d.days} session(s), per day {d.per_day(d.analyses):.0f} analyses "
            f"+ {d.per_day(d.validations):.0f} validations"
        )
        tin, tout, usd = report.recorded[g]
        if tin or tout or usd:
            notes.append(f"  as recorded in the ledger: {tin:,} in / {tout:,} out, ${usd:.4f}")
    if report.prefix_tokens:
        pre = ", ".join(f"{k or '?'} ~{v:,}" for k, v in sorted(report.prefix_tokens.items()))
        mins = sorted({(s.row.family, s.row.min_cache_tokens) for s, _ in report.rows})
        notes.append(
            f"Cacheable prefix (system + tool schema) per call: {pre} tokens; minimum cached: "
            + ", ".join(f"{f} {m:,}" for f, m in mins)
            + ". A shorter prefix is never cached: its caching rows equal 'none'."
        )
    return "\n".join([*lines, "", *notes])
