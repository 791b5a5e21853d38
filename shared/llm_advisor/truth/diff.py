"""The diff of a live day against its model day (pure): every divergence with its cause.

Both sides key a trade by the same deterministic ``client_order_id`` (day, symbol, setup,
side, signal minute), so matching is exact, never fuzzy. A cause is named only from
evidence in the live records:

- a bar the tick quarantined (``late`` or a validation rule) on that symbol at or before
  the divergence: the engine stepped that minute without it, so from then on its rolling
  window differs from the replay's;
- a session minute the model had bars for and the per-minute log has no row for: the tick
  that should have stepped it did not run (and nothing caught up);
- a plan published after its decision minute (the order's ``submitted_at`` is the time the
  tick published it): the tick of the decision minute did not run, the next one caught up,
  and the entry filled a bar late;
- an entry order with status ``refused_*``: the executor refused a stale plan;
- entry fills smaller than the plan, or in pieces: a partial fill;
- a holding closed with exit reason ``manual`` (or opened by no order of ours);
- the same bars at other prices: slippage (per share in cents and in basis points of the
  model's next-bar open), and fees.
A divergence after an earlier one of the same day with no evidence of its own is a
``knock_on`` (equity and buying power follow the earlier one); only what is left is
``unexplained``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from llm_advisor.truth import records as r
from llm_advisor.truth.records import (
    Divergence,
    FillRow,
    LiveDay,
    ModelDay,
    SignalRow,
    TradeRow,
    TruthReport,
)

ONE_MINUTE = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ZERO = Decimal(0)


def _hm(t: datetime | None) -> str:
    return "--:--" if t is None else t.strftime("%H:%MZ")


def _sign(side: str) -> int:
    return 1 if side in ("long", "buy") else -1


class _Explainer:
    """Finds the evidence for a divergence on ``symbol`` at ``t``."""

    def __init__(self, live: LiveDay, model: ModelDay) -> None:
        self.live = live
        self.model = model
        self.found: list[Divergence] = []

    def bar(self, symbol: str, t: datetime) -> tuple[str, str] | None:
        issues = [b for b in self.live.bar_issues if b.symbol == symbol and b.bar_time <= t]
        if not issues:
            return None
        b = max(issues, key=lambda x: x.bar_time)
        cause = r.LATE_BAR if b.reason == "late" else r.QUARANTINED_BAR
        return cause, (
            f"bar {symbol} {_hm(b.bar_time)} {b.reason} (recorded {_hm(b.recorded_at)}): "
            "the tick stepped that minute without it"
        )

    def gap(self, t: datetime) -> tuple[str, str] | None:
        logged = self.live.logged_minutes
        if not logged:  # the per-minute log is off: no evidence either way
            return None
        missing = sorted(m for m in self.model.bar_minutes if m <= t and m not in logged)
        if not missing:
            return None
        return r.TICK_NOT_RUN, (
            f"{len(missing)} session minute(s) never stepped live, first {_hm(missing[0])} "
            "(no per-minute log row)"
        )

    def earlier(self, t: datetime | None) -> Divergence | None:
        for d in self.found:
            if d.cause != r.KNOCK_ON and (t is None or d.time is None or d.time <= t):
                return d
        return None

    def explain(self, symbol: str, t: datetime) -> tuple[str, str]:
        for ev in (self.bar(symbol, t), self.gap(t)):
            if ev is not None:
                return ev
        first = self.earlier(t)
        if first is not None:
            return r.KNOCK_ON, f"after {first.kind} {first.symbol} {_hm(first.time)}"
        return r.UNEXPLAINED, "no late/quarantined bar, tick gap or broker event on record"

    def add(self, d: Divergence) -> None:
        self.found.append(d)


def _signals(x: _Explainer, live: LiveDay, model: ModelDay, counts: dict[str, int]) -> None:
    lv = {s.client_order_id: s for s in live.signals}
    md = {s.client_order_id: s for s in model.signals}
    events: list[tuple[datetime, str, SignalRow, SignalRow | None]] = []
    for cid, m in md.items():
        events.append((m.signal_time, cid, m, lv.get(cid)))
    for cid, s in lv.items():
        if cid not in md:
            events.append((s.signal_time, cid, s, None))
    for t, cid, first, other in sorted(events, key=lambda e: (e[0], e[1])):
        if cid in md and other is None:
            cause, why = x.explain(first.symbol, t)
            counts["signals_missed"] += 1
            kind, what = r.SIGNAL_MISSED, f"model {first.setup} {first.side} {first.status}"
        elif cid not in md:
            cause, why = x.explain(first.symbol, t)
            counts["signals_extra"] += 1
            kind, what = r.SIGNAL_EXTRA, f"live {first.setup} {first.side} {first.status}"
        else:
            assert other is not None
            if (first.status, first.qty) == (other.status, other.qty):
                counts["signals_matched"] += 1
                continue
            cause, why = x.explain(first.symbol, t)
            kind = r.SIGNAL_STATUS
            what = f"model {first.status} x{first.qty}, live {other.status} x{other.qty}" + (
                f" ({other.reject_reason})" if other.reject_reason else ""
            )
        x.add(Divergence(kind, first.symbol, t, cause, f"{what}; {why}", cid))


def _avg(fills: Iterable[FillRow]) -> tuple[int, Decimal]:
    qty = sum(f.qty for f in fills)
    value = sum((f.price * f.qty for f in fills), ZERO)
    return qty, (value / qty if qty else ZERO)


def diff_day(live: LiveDay, model: ModelDay) -> TruthReport:
    """The day's verdict, divergences, counts, P/L split and slippage (see module doc)."""
    x = _Explainer(live, model)
    counts: dict[str, int] = defaultdict(int)
    _signals(x, live, model, counts)

    orders = {o.client_order_id: o for o in live.orders}
    entry_fills: dict[str, list[FillRow]] = defaultdict(list)
    for f in sorted(live.fills, key=lambda f: f.timestamp):
        if f.leg == "entry":
            entry_fills[f.client_order_id].append(f)
    live_trades = {t.client_order_id: t for t in live.trades if t.client_order_id}
    split = {k: ZERO for k in ("slippage", "missed", "extra", "fees", "other")}
    slip_usd, slip_bps = ZERO, []
    matched: set[str] = set()
    for mt in sorted(model.trades, key=lambda t: (t.entry_time, t.symbol)):
        cid = mt.client_order_id or ""
        o = orders.get(cid)
        fills = entry_fills.get(cid, [])
        sig = mt.entry_time - ONE_MINUTE  # the signal bar's minute
        if o is not None and o.status.startswith("refused_"):
            split["missed"] += mt.pnl
            x.add(
                Divergence(
                    r.ORDER_REFUSED,
                    mt.symbol,
                    mt.entry_time,
                    r.STALE_PLAN_REFUSED,
                    f"{o.status}: plan for the {_hm(sig)} signal reached the executor "
                    f"at {_hm(o.submitted_at)}; model P/L {mt.pnl:+.2f} missed",
                    cid,
                )
            )
            continue
        if not fills:
            split["missed"] += mt.pnl
            if o is not None or cid in {s.client_order_id for s in live.signals}:
                cause, why = x.explain(mt.symbol, mt.entry_time)
                status = "no order" if o is None else f"order {o.status}, nothing filled"
                x.add(
                    Divergence(
                        r.ORDER_MISSING, mt.symbol, mt.entry_time, cause, f"{status}; {why}", cid
                    )
                )
            continue
        matched.add(cid)
        counts["entries_matched"] += 1
        qty, price = _avg(fills)
        if o is not None and o.filled_qty > 0 and o.filled_avg_price is not None:
            # the broker's cumulative figures (a fill row may repeat the running total)
            qty, price = o.filled_qty, o.filled_avg_price
        first = fills[0]
        plan_qty = o.qty if o is not None else mt.qty
        if first.qty < plan_qty or qty < plan_qty:
            counts["partial_fills"] += 1
            x.add(
                Divergence(
                    r.PARTIAL_FILL,
                    mt.symbol,
                    first.timestamp,
                    r.PARTIAL_FILL,
                    f"first fill {first.qty} of {plan_qty} at {_hm(first.timestamp)}, "
                    f"{qty} filled in all",
                    cid,
                )
            )
        per_share = (price - mt.entry_price) * _sign(mt.side)
        bps = float(per_share / mt.entry_price * 10_000) if mt.entry_price else 0.0
        slip_usd += per_share * qty
        slip_bps.append(bps)
        late = first.timestamp > mt.entry_time
        if late:
            due = sig + ONE_MINUTE
            pub = o.submitted_at if o is not None else None
            if pub is not None and pub > due:
                cause = r.TICK_NOT_RUN
                why = (
                    f"plan published {_hm(pub)}, due {_hm(due)}: the tick of {_hm(due)} did not run"
                )
            else:
                cause, why = x.explain(mt.symbol, mt.entry_time)
            x.add(
                Divergence(
                    r.ENTRY_LATE,
                    mt.symbol,
                    mt.entry_time,
                    cause,
                    f"filled {_hm(first.timestamp)} vs model {_hm(mt.entry_time)}, "
                    f"{per_share * 100:+.1f} c/share ({bps:+.1f} bps); {why}",
                    cid,
                )
            )
        elif per_share != 0:
            x.add(
                Divergence(
                    r.SLIPPAGE,
                    mt.symbol,
                    first.timestamp,
                    r.SLIPPAGE,
                    f"entry {price:.4f} vs model next-bar open {mt.entry_price:.2f}: "
                    f"{per_share * 100:+.1f} c/share ({bps:+.1f} bps)",
                    cid,
                )
            )
        lt = live_trades.get(cid)
        _exit(x, mt, lt, cid, counts, split, late or qty != mt.qty)
    for lt in sorted(live.trades, key=lambda t: (t.entry_time, t.symbol)):
        if lt.client_order_id in matched:
            continue
        split["extra"] += lt.pnl
        if lt.client_order_id is None:
            cause, why = r.MANUAL_CLOSE, "a position no order of ours opened (manual at the broker)"
        else:
            cause, why = x.explain(lt.symbol, lt.entry_time)
        x.add(
            Divergence(
                r.EXTRA_TRADE,
                lt.symbol,
                lt.entry_time,
                cause,
                f"live {lt.side} x{lt.qty} P/L {lt.pnl:+.2f} has no model trade; {why}",
                lt.client_order_id,
            )
        )
    pnl_live = sum((t.pnl for t in live.trades if t.exit_time is not None), ZERO)
    pnl_model = sum((t.pnl for t in model.trades), ZERO)
    fees_live = sum((t.fees for t in live.trades), ZERO)
    fees_model = sum((t.fees for t in model.trades), ZERO)
    split["fees"] = -(fees_live - fees_model)
    if split["fees"] != 0:
        x.add(
            Divergence(
                r.FEES, "*", None, r.FEES, f"fees live {fees_live:.2f} vs model {fees_model:.2f}"
            )
        )
    split["other"] = (pnl_live - pnl_model) - sum(
        (v for k, v in split.items() if k != "other"), ZERO
    )
    divs = sorted(x.found, key=lambda d: (d.time is None, d.time or EPOCH, d.symbol, d.kind))
    counts["divergences"] = len(divs)
    counts["trades_live"] = len(live.trades)
    counts["trades_model"] = len(model.trades)
    return TruthReport(
        run_id=live.run_id,
        day=live.day,
        verdict=r.IDENTICAL if not divs else r.DIVERGED,
        divergences=divs,
        counts=dict(counts),
        pnl_live=pnl_live,
        pnl_model=pnl_model,
        pnl_split=split,
        slippage_usd=slip_usd,
        slippage_bps=(sum(slip_bps) / len(slip_bps)) if slip_bps else None,
        start_equity=model.start_equity,
    )


def _exit(
    x: _Explainer,
    mt: TradeRow,
    lt: TradeRow | None,
    cid: str,
    counts: dict[str, int],
    split: dict[str, Decimal],
    entry_differs: bool,
) -> None:
    """Compare a matched entry's exit; book its P/L gap as slippage or other."""
    if lt is None or lt.exit_time is None or lt.exit_price is None:
        counts["exits_mismatched"] += 1
        cause, why = x.explain(mt.symbol, mt.exit_time or mt.entry_time)
        x.add(
            Divergence(
                r.EXIT_MISMATCH,
                mt.symbol,
                mt.exit_time,
                cause,
                f"model {mt.exit_reason} at {_hm(mt.exit_time)}; live holding "
                f"{'not recorded' if lt is None else 'still open'}; {why}",
                cid,
            )
        )
        return
    delta = lt.pnl - mt.pnl
    same = lt.exit_reason == mt.exit_reason and lt.exit_time == mt.exit_time
    if same:
        counts["exits_matched"] += 1
        assert mt.exit_price is not None
        # the price effect on the live quantity; a quantity gap stays in "other"
        price_effect = (
            _sign(mt.side)
            * ((lt.exit_price - mt.exit_price) - (lt.entry_price - mt.entry_price))
            * lt.qty
        )
        split["slippage"] += price_effect
        if lt.exit_price != mt.exit_price:
            x.add(
                Divergence(
                    r.SLIPPAGE,
                    mt.symbol,
                    lt.exit_time,
                    r.SLIPPAGE,
                    f"{mt.exit_reason} exit {lt.exit_price} vs model {mt.exit_price}",
                    cid,
                )
            )
        return
    counts["exits_mismatched"] += 1
    if lt.exit_reason == "manual":
        cause, why = r.MANUAL_CLOSE, "closed at the broker by an order not ours"
    elif lt.exit_reason == "kill_switch" and mt.exit_reason != "kill_switch":
        cause, why = r.KILL_SWITCH, "the broker-side kill switch flattened it"
    elif entry_differs:
        cause, why = r.KNOCK_ON, "the entry differed (time or quantity)"
    else:
        cause, why = x.explain(mt.symbol, lt.exit_time)
    x.add(
        Divergence(
            r.EXIT_MISMATCH,
            mt.symbol,
            lt.exit_time,
            cause,
            f"live {lt.exit_reason} {_hm(lt.exit_time)} @ {lt.exit_price} vs model "
            f"{mt.exit_reason} {_hm(mt.exit_time)} @ {mt.exit_price}, P/L "
            f"{delta:+.2f}; {why}",
            cid,
        )
    )
