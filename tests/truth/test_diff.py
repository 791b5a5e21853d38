"""The pure diff, one cause at a time, on hand-built live and model days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from llm_advisor.truth.alert import Thresholds, truth_alert
from llm_advisor.truth.diff import diff_day
from llm_advisor.truth.records import (
    BarIssue,
    FillRow,
    LiveDay,
    ModelDay,
    OrderRow,
    SignalRow,
    TradeRow,
)

DAY = date(2024, 3, 12)
M = timedelta(minutes=1)


def at(hm: str) -> datetime:
    h, m = hm.split(":")
    return datetime(2024, 3, 12, int(h), int(m), tzinfo=UTC)


SIG = at("14:00")
EXIT = at("14:30")
CID = "stdev-20240312-SPY-MR-long-2024-03-12T14:00:00Z"


def signal(
    cid: str = CID, t: datetime = SIG, status: str = "accepted", qty: int = 100
) -> SignalRow:
    return SignalRow(cid, "SPY", "MR", "long", t, status, qty)


def trade(
    entry: str = "100.00",
    exit_: str = "101.00",
    qty: int = 100,
    reason: str = "target",
    entry_time: datetime = SIG + M,
    exit_time: datetime = EXIT,
    cid: str | None = CID,
) -> TradeRow:
    pnl = (Decimal(exit_) - Decimal(entry)) * qty
    return TradeRow(
        cid, "SPY", "long", qty, entry_time, Decimal(entry), exit_time, Decimal(exit_), reason, pnl
    )


def model() -> ModelDay:
    minutes = {at("13:30") + i * M for i in range(120)}
    return ModelDay(signals=[signal()], trades=[trade()], bar_minutes=minutes)


def live(**kw: object) -> LiveDay:
    d = LiveDay(
        run_id="live",
        day=DAY,
        signals=[signal()],
        orders=[OrderRow(CID, "SPY", "filled", 100, 100, SIG + M, SIG)],
        fills=[FillRow(CID, "SPY", "entry", 100, Decimal("100.00"), SIG + M)],
        trades=[trade()],
        logged_minutes={at("13:30") + i * M for i in range(120)},
    )
    for k, v in kw.items():
        setattr(d, k, v)
    return d


def test_same_records_are_identical() -> None:
    r = diff_day(live(), model())
    assert r.verdict == "identical" and r.divergences == []
    assert r.counts["signals_matched"] == 1 and r.counts["entries_matched"] == 1
    assert r.slippage_bps == 0.0 and r.pnl_live == r.pnl_model == Decimal(100)


def test_late_bar_explains_a_missed_signal() -> None:
    issue = BarIssue("SPY", SIG, "late", SIG + 3 * M)
    r = diff_day(live(signals=[], orders=[], fills=[], trades=[], bar_issues=[issue]), model())
    missed = [d for d in r.divergences if d.kind == "signal_missed"]
    assert [d.cause for d in missed] == ["late_bar"]
    assert r.pnl_split["missed"] == Decimal(100)
    assert sum(r.pnl_split.values()) == r.pnl_live - r.pnl_model


def test_quarantined_bar_is_its_own_cause() -> None:
    issue = BarIssue("SPY", SIG - 5 * M, "high_below_low", SIG - 4 * M)
    r = diff_day(live(signals=[], orders=[], fills=[], trades=[], bar_issues=[issue]), model())
    assert r.divergences[0].cause == "quarantined_bar"


def test_gap_in_the_minute_log_is_a_tick_that_did_not_run() -> None:
    logged = {at("13:30") + i * M for i in range(120)} - {SIG}
    r = diff_day(live(signals=[], orders=[], fills=[], trades=[], logged_minutes=logged), model())
    assert r.divergences[0].kind == "signal_missed"
    assert r.divergences[0].cause == "tick_not_run"


def test_late_publish_is_a_tick_that_did_not_run() -> None:
    order = OrderRow(CID, "SPY", "filled", 100, 100, SIG + 2 * M, SIG)
    fill = FillRow(CID, "SPY", "entry", 100, Decimal("100.10"), SIG + 2 * M)
    lt = trade(entry="100.10", entry_time=SIG + 2 * M)
    r = diff_day(live(orders=[order], fills=[fill], trades=[lt]), model())
    (d,) = r.divergences
    assert (d.kind, d.cause) == ("entry_late", "tick_not_run")
    assert r.slippage_usd == Decimal("10.00") and round(r.slippage_bps or 0, 1) == 10.0
    assert r.pnl_split["slippage"] == Decimal("-10.00")


def test_refused_stale_plan() -> None:
    order = OrderRow(CID, "SPY", "refused_stale_age", 100, 0, SIG + 3 * M, SIG)
    r = diff_day(live(orders=[order], fills=[], trades=[]), model())
    (d,) = r.divergences
    assert (d.kind, d.cause) == ("order_refused", "stale_plan_refused")
    assert "refused_stale_age" in d.detail


def test_partial_fill_and_slippage() -> None:
    fills = [
        FillRow(CID, "SPY", "entry", 40, Decimal("100.00"), SIG + M),
        FillRow(CID, "SPY", "entry", 60, Decimal("100.05"), SIG + 2 * M),
    ]
    r = diff_day(live(fills=fills), model())
    kinds = {(d.kind, d.cause) for d in r.divergences}
    assert ("partial_fill", "partial_fill") in kinds
    assert ("slippage", "slippage") in kinds
    assert r.counts["partial_fills"] == 1


def test_manual_close_at_the_broker() -> None:
    lt = trade(exit_="100.50", reason="manual", exit_time=at("14:10"))
    r = diff_day(live(trades=[lt]), model())
    (d,) = r.divergences
    assert (d.kind, d.cause) == ("exit_mismatch", "manual_close")
    assert r.pnl_split["other"] == Decimal(-50)


def test_position_no_order_of_ours_opened_is_manual() -> None:
    extra = trade(cid=None, entry_time=at("15:00"), exit_time=at("15:30"))
    r = diff_day(live(trades=[trade(), extra]), model())
    (d,) = r.divergences
    assert (d.kind, d.cause) == ("extra_trade", "manual_close")
    assert r.pnl_split["extra"] == Decimal(100)


def test_fees() -> None:
    lt = TradeRow(
        CID,
        "SPY",
        "long",
        100,
        SIG + M,
        Decimal(100),
        at("14:30"),
        Decimal(101),
        "target",
        Decimal(100),
        fees=Decimal("1.00"),
    )
    r = diff_day(live(trades=[lt]), model())
    assert [(d.kind, d.cause) for d in r.divergences] == [("fees", "fees")]
    assert r.pnl_split["fees"] == Decimal("-1.00")


def test_later_divergence_without_evidence_is_a_knock_on() -> None:
    issue = BarIssue("SPY", SIG, "late", SIG + 2 * M)
    cid2 = "stdev-20240312-QQQ-MR-long-2024-03-12T14:10:00Z"
    m = model()
    m.signals.append(SignalRow(cid2, "QQQ", "MR", "long", at("14:10"), "accepted", 50))
    lv = live(
        signals=[SignalRow(cid2, "QQQ", "MR", "long", at("14:10"), "accepted", 49)],
        orders=[],
        fills=[],
        trades=[],
        bar_issues=[issue],
    )
    r = diff_day(lv, m)
    got = [(d.symbol, d.cause) for d in r.divergences]
    assert got == [("SPY", "late_bar"), ("QQQ", "knock_on")]


def test_alert_thresholds() -> None:
    missed = diff_day(live(signals=[], orders=[], fills=[], trades=[]), model())
    alert = truth_alert(missed, Thresholds(), SIG)
    assert alert is not None and alert.key == "truth:live:2024-03-12"
    assert "1 signal(s) missed by live" in alert.message
    assert truth_alert(missed, Thresholds(max_missed=1), SIG) is None
    assert truth_alert(diff_day(live(), model()), Thresholds(), SIG) is None
