"""One contract for the trading record, run against SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from llm_advisor.__main__ import main as cli_main
from llm_advisor.core.calendar import NY
from llm_advisor.core.errors import DataError, UserError
from llm_advisor.core.models import (
    Advice,
    AnalysisResult,
    Position,
    Setup,
    Side,
    Snapshot,
    ThresholdMultipliers,
    TradePlan,
)
from llm_advisor.core.ports import DailyBiasRow, PortfolioQueries
from llm_advisor.replay.summary import max_drawdown
from llm_advisor.storage import Repository, open_repository
from llm_advisor.storage.migrate import available
from llm_advisor.storage.replay_store import record_replay, summary_from_db
from llm_advisor.storage.urls import parse_url

from .factories import signal, transition

T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
DAY = date(2024, 3, 4)


# ---------------------------------------------------------------- migrations


def test_migrations_from_empty_and_rerun(db_url: str, migrated: Repository) -> None:
    latest = available("sqlite")[-1].version
    # both engines carry the same numbered files, with no gap
    assert [m.version for m in available("sqlite")] == list(range(1, latest + 1))
    assert [m.version for m in available("postgres")] == list(range(1, latest + 1))
    assert migrated.schema_version() == latest
    assert migrated.migrate() == []  # idempotent
    assert migrated.count("schema_version") == latest
    again = open_repository(db_url)
    try:
        assert again.migrate() == []
    finally:
        if parse_url(db_url).engine == "sqlite":
            again.close()


def test_cli_migrate(db_url: str, migrated: Repository, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["db", "migrate", "--url", db_url]) == 0
    latest = available("sqlite")[-1].version
    assert f"up to date at version {latest}" in capsys.readouterr().out


def test_cli_bad_url_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["db", "migrate", "--url", "mysql://x/y"]) == 2
    err = capsys.readouterr().err
    assert "mysql" in err and "Traceback" not in err


def test_repository_is_portfolio_queries(repo: Repository) -> None:
    assert isinstance(repo, Repository)
    queries: PortfolioQueries = repo  # static check of the Protocol
    assert queries.ping()


# ---------------------------------------------------------------- premarket


def test_daily_bias_upsert_and_query(repo: Repository) -> None:
    rows = [
        DailyBiasRow(date=DAY, symbol="AAPL", bias="bullish", confidence=0.7, htf_bias="bullish"),
        {"date": DAY, "symbol": "MSFT", "bias": "choppy", "confidence": 0.4},
        {"date": DAY + timedelta(days=1), "symbol": "AAPL", "bias": "bearish", "confidence": 0.6},
    ]
    repo.save_daily_bias(rows)
    rerun = {"date": DAY, "symbol": "MSFT", "bias": "bearish", "confidence": 0.55}
    repo.save_daily_bias([rerun])  # premarket rerun
    got = repo.daily_bias(DAY)
    assert [(r.symbol, r.bias, r.confidence) for r in got] == [
        ("AAPL", "bullish", 0.7),
        ("MSFT", "bearish", 0.55),
    ]
    assert [r.symbol for r in repo.daily_bias(DAY, "AAPL")] == ["AAPL"]
    assert repo.count("daily_bias") == 3


def test_premarket_snapshots_round_trip(repo: Repository) -> None:
    snap = Snapshot(
        symbol="SPY", session_date="2024-03-04", ema_slope_daily=0.12, ema_slope_hourly=-0.03,
        hh_ll_tag="HH_HL", atr_daily=4.2, atr_percentile=63.0, htf_bias="bullish",
        band_mu=510.25, band_sigma=0.8, atr_5m=0.55, atr_5m_warmup=(0.5, 0.6),
        last_close_5m=510.1, daily_bars=250,
    )  # fmt: skip
    repo.save_premarket_snapshots([snap])
    repo.save_premarket_snapshots([snap])
    assert repo.get_premarket_snapshots(DAY) == {"SPY": snap}
    assert repo.count("premarket_snapshots") == 1


# ---------------------------------------------------------------- analysis and LLM ledger


def test_latest_market_analysis_at_or_before(repo: Repository) -> None:
    for i, assess in enumerate(["bullish", "choppy", "volatile"]):
        ts = T0 + timedelta(minutes=15 * i)
        mult = ThresholdMultipliers(mr_arm=1.0 + i / 10)
        advice = Advice(as_of=ts, multipliers=mult, per_symbol={"AAPL": mult}, source="llm")
        result = AnalysisResult(market_assessment=assess, confidence=60 + i, reasoning=f"r{i}")
        repo.save_market_analysis(ts, DAY, "bedrock", "claude", result, advice)
        repo.save_market_analysis(ts, DAY, "bedrock", "claude", result, advice)  # retried tick
    assert repo.count("market_analysis") == 3
    latest = repo.latest_analysis()
    assert latest is not None and latest.market_assessment == "volatile"
    mid = repo.latest_analysis(T0 + timedelta(minutes=20))
    assert mid is not None
    assert (mid.market_assessment, mid.mult_mr_arm, mid.timestamp) == (
        "choppy",
        1.1,
        T0 + timedelta(minutes=15),
    )
    assert mid.per_symbol["AAPL"]["mr_arm"] == 1.1
    assert repo.latest_analysis(T0 - timedelta(seconds=1)) is None


def _llm_record(created: datetime, error: str | None = None) -> dict[str, object]:
    return {
        "request_hash": "a" * 64, "provider": "bedrock", "model": "claude-x",
        "request": {"prompt": "hi", "n": 1}, "response": None if error else {"ok": True},
        "tokens_in": 120, "tokens_out": 40, "cost_usd": Decimal("0.000123"), "latency_ms": 812,
        "error": error, "decision_time": T0, "created_at": created,
    }  # fmt: skip


class _Dumpable:
    def __init__(self, d: dict[str, object]) -> None:
        self.d = d

    def model_dump(self) -> dict[str, object]:
        return self.d


def test_llm_ledger_latest_wins_and_resave_is_noop(repo: Repository) -> None:
    repo.save_llm_call(_Dumpable(_llm_record(T0, error="throttled")))
    repo.save_llm_call(_Dumpable(_llm_record(T0 + timedelta(seconds=5))))
    repo.save_llm_call(_Dumpable(_llm_record(T0 + timedelta(seconds=5))))
    assert repo.count("llm_calls") == 2
    got = repo.get_llm_call("a" * 64)
    assert got is not None
    assert got["error"] is None and got["response"] == {"ok": True}
    assert got["cost_usd"] == Decimal("0.000123") and got["request"] == {"prompt": "hi", "n": 1}
    assert got["created_at"] == T0 + timedelta(seconds=5)
    assert repo.get_llm_call("b" * 64) is None
    assert repo.llm_spent_usd(T0, T0 + timedelta(hours=1)) == Decimal("0.000246")


# ---------------------------------------------------------------- signals and transitions


def test_signals_idempotent_with_thresholds_and_paging(repo: Repository) -> None:
    sigs = [signal(T0 + timedelta(minutes=i), "AAPL" if i % 2 else "MSFT") for i in range(10)]
    repo.save_signals(sigs, run_id="r1")
    repo.save_signals(sigs, run_id="r1")
    assert repo.count("trade_signals") == 10
    rows = repo.signals(DAY, DAY, symbol="AAPL")
    assert len(rows) == 5 and all(r.symbol == "AAPL" for r in rows)
    assert rows[0].mr_arm_z == 2.0 and rows[0].ref_price == Decimal("187.25")
    page2 = repo.signals(DAY, DAY, limit=4, offset=4)
    assert [r.signal_time for r in page2] == [s.signal_time for s in sigs[4:8]]
    assert repo.get_signals("r1") == sigs


def test_transitions_batch_is_idempotent(repo: Repository) -> None:
    batch = [
        transition(T0, "AAPL", "idle", "mr_armed"),
        transition(T0, "AAPL", "mr_armed", "in_position"),  # same minute, same symbol
        transition(T0, "MSFT", "idle", "tc_armed"),
    ]
    assert repo.save_transitions(batch) == 3
    repo.save_transitions(batch)  # a retried tick
    assert repo.count("live_loop_logs") == 3
    assert repo.get_transitions() == sorted(batch, key=lambda t: (t.timestamp, t.symbol))


# ---------------------------------------------------------------- trades and P/L


def _trade(
    i: int, pnl: str, day: date = DAY, symbol: str = "AAPL", commission: str = "0"
) -> dict[str, object]:
    entry = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC) + timedelta(minutes=i)
    return {
        "symbol": symbol, "setup": "MR", "side": "long",
        "signal_time": entry - timedelta(minutes=1), "entry_time": entry,
        "entry_price": Decimal("100.00"), "exit_time": entry + timedelta(minutes=5),
        "exit_price": Decimal("101.00"), "qty": 10, "exit_reason": "target", "pnl": Decimal(pnl),
        "client_order_id": f"coid-{day}-{symbol}-{i}", "commission": Decimal(commission),
    }  # fmt: skip


def test_trades_pagination_and_pnl_report(repo: Repository) -> None:
    d2 = DAY + timedelta(days=1)
    trades = [
        _trade(0, "100.10", DAY, commission="0.10"),
        _trade(1, "-250.55", DAY, "MSFT"),
        _trade(2, "75.005", DAY),
        _trade(0, "-40.00", d2),
        _trade(1, "310.25", d2, "MSFT", commission="1.005"),
    ]
    repo.save_trades(trades)
    repo.save_trades(trades)
    page = repo.trades(DAY, d2, limit=2, offset=0)
    assert page.total == 5 and len(page.items) == 2
    assert page.items[0].pnl == Decimal("100.10") and page.items[0].commission == Decimal("0.10")
    assert repo.trades(DAY, d2, symbol="MSFT").total == 2
    assert [t.client_order_id for t in repo.trades(DAY, d2, limit=2, offset=4).items] == [
        trades[4]["client_order_id"]
    ]
    rep = repo.pnl(DAY, d2)
    assert [(d.date, d.realized, d.fees, d.trades, d.wins) for d in rep.days] == [
        (DAY, Decimal("-75.445"), Decimal("0.10"), 3, 2),
        (d2, Decimal("270.25"), Decimal("1.005"), 2, 1),
    ]
    assert rep.total_realized == Decimal("194.805") and rep.total_fees == Decimal("1.105")
    assert rep.trades == 5 and rep.win_rate == pytest.approx(0.6)
    # peak 100.10 after the first trade, trough -150.45 after the second (exit order)
    assert rep.max_drawdown == Decimal("250.55")
    assert [p.equity for p in rep.equity_curve] == [Decimal("-75.445"), Decimal("194.805")]
    assert repo.pnl(DAY + timedelta(days=5), DAY + timedelta(days=6)).win_rate is None


def test_pnl_equity_curve_starts_from_snapshot(repo: Repository) -> None:
    repo.save_equity_snapshots([(T0 - timedelta(days=3), Decimal("100000"))], run_id="r1")
    repo.save_trades([_trade(0, "12.50")], run_id="r1")
    rep = repo.scoped("r1").pnl(DAY, DAY)
    assert rep.equity_curve[0].equity == Decimal("100012.50")
    assert repo.scoped("other").pnl(DAY, DAY).trades == 0


def test_pnl_equity_curve_counts_each_day_once_when_the_first_snapshot_is_in_range(
    repo: Repository,
) -> None:
    """Replays snapshot equity at each session's close; a range starting at the first
    session has no earlier snapshot, and that day's P/L must not be added twice."""
    close = datetime.combine(DAY, time(16, 0), tzinfo=NY)
    repo.save_trades([_trade(0, "12.50")], run_id="r2")
    repo.save_equity_snapshots([(close, Decimal("100012.50"))], run_id="r2")
    rep = repo.scoped("r2").pnl(DAY, DAY)
    assert rep.equity_curve[0].equity == Decimal("100012.50")


def test_pnl_equity_curve_from_an_intraday_first_snapshot(repo: Repository) -> None:
    """Live snapshots come from the monitor during the session: the first one of the range
    may precede that day's exits, whose P/L it does not hold yet and must not lose."""
    morning = datetime.combine(DAY, time(9, 31), tzinfo=NY)  # before every exit of DAY
    repo.save_equity_snapshots([(morning, Decimal("100000"))], run_id="lv")
    repo.save_trades(
        [_trade(0, "12.50"), _trade(1, "7.50"), _trade(0, "5.00", DAY + timedelta(days=1))],
        run_id="lv",
    )
    rep = repo.scoped("lv").pnl(DAY, DAY + timedelta(days=1))
    assert [p.equity for p in rep.equity_curve] == [Decimal("100020.00"), Decimal("100025.00")]
    # a snapshot between the two exits of DAY holds the first one only
    between = datetime(DAY.year, DAY.month, DAY.day, 15, 5, 30, tzinfo=UTC)
    repo.save_equity_snapshots([(between, Decimal("100112.50"))], run_id="lv2")
    repo.save_trades([_trade(0, "12.50"), _trade(1, "7.50")], run_id="lv2")
    rep2 = repo.scoped("lv2").pnl(DAY, DAY)
    assert [p.equity for p in rep2.equity_curve] == [Decimal("100120.00")]


def test_query_arguments_are_validated(repo: Repository) -> None:
    with pytest.raises(UserError, match="limit=0"):
        repo.trades(DAY, DAY, limit=0)
    with pytest.raises(UserError, match="end="):
        repo.pnl(DAY, DAY - timedelta(days=1))
    with pytest.raises(UserError, match="symbol='aapl'"):
        repo.signals(DAY, DAY, symbol="aapl")


# ---------------------------------------------------------------- orders and positions


def _plan(qty: int = 50) -> TradePlan:
    return TradePlan(
        client_order_id="stdev-20240304-AAPL-MR-long-2024-03-04T15:00:00Z", symbol="AAPL",
        side=Side.LONG, setup=Setup.MR, qty=qty, ref_price=187.25, stop_price=186.6,
        target_price=188.55, signal_time=T0, session_date="2024-03-04",
    )  # fmt: skip


def test_orders_upsert_legs_and_status_history(repo: Repository) -> None:
    plan = _plan()
    repo.upsert_order(plan, at=T0, status="new")
    repo.upsert_order(plan, at=T0, status="new")  # the retried handler
    repo.upsert_order(plan, at=T0 + timedelta(seconds=2), status="accepted", broker_order_id="b-1")
    leg = {
        "client_order_id": plan.client_order_id + "-stop", "broker_order_id": "b-2",
        "symbol": "AAPL", "side": "sell", "qty": 50, "status": "held", "leg": "stop",
        "parent_id": "b-1", "stop_price": Decimal("186.60"), "order_type": "stop",
    }  # fmt: skip
    repo.upsert_order(leg, at=T0 + timedelta(seconds=2))
    repo.record_order_status(
        plan.client_order_id, "filled", T0 + timedelta(minutes=1), 50, Decimal("187.27")
    )
    got = repo.get_order(plan.client_order_id)
    assert got is not None
    assert got["broker_order_id"] == "b-1" and got["status"] == "filled"
    assert got["filled_avg_price"] == Decimal("187.27") and got["ref_price"] == Decimal("187.25")
    assert [h[0] for h in got["history"]] == ["new", "accepted", "filled"]
    assert repo.child_orders(plan.client_order_id) == [plan.client_order_id + "-stop"]
    assert repo.count("orders") == 2
    with pytest.raises(DataError, match=r"orders\.client_order_id='nope'"):
        repo.record_order_status("nope", "filled", T0)


def test_positions_unrealized(repo: Repository) -> None:
    pos = Position(
        symbol="NVDA", side=Side.SHORT, qty=10, entry_price=Decimal("900.50"), entry_time=T0,
        stop_price=905.0, target_price=890.0, client_order_id="c1", setup=Setup.TC,
        mark_price=Decimal("899.25"),
    )  # fmt: skip
    repo.upsert_position(pos, at=T0)
    repo.upsert_position(pos.model_copy(update={"mark_price": Decimal("901.00")}), at=T0)
    [row] = repo.open_positions()
    assert row.unrealized_pnl == Decimal("-5.00") and row.stop_price == Decimal("905.0")
    assert repo.delete_position("NVDA") and repo.open_positions() == []
    assert not repo.delete_position("NVDA")


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("save", "bad", "message"),
    [
        ("save_trades", {"entry_time": datetime(2024, 3, 4, 15, 0)}, "trades.entry_time="),
        ("save_trades", {"qty": -5}, "trades.qty=-5"),
        ("save_trades", {"symbol": "aapl!"}, "trades.symbol='aapl!'"),
        ("save_trades", {"side": "sideways"}, "trades.side='sideways'"),
        ("save_trades", {"entry_price": Decimal("-1")}, "trades.entry_price="),
        ("save_fills", {"qty": 0}, "fills.qty=0"),
        (
            "save_transitions",
            {"timestamp": datetime(2024, 3, 4, 15, 0)},
            "live_loop_logs.timestamp=",
        ),
        ("save_daily_bias", {"confidence": 250.0}, "daily_bias.confidence=250.0"),
    ],
)
def test_bad_input_names_the_field(
    repo: Repository, save: str, bad: dict[str, object], message: str
) -> None:
    base: dict[str, dict[str, object]] = {
        "save_trades": _trade(0, "1.00"),
        "save_fills": {"client_order_id": "c", "symbol": "AAPL", "side": "buy", "qty": 1,
                       "price": Decimal("1.00"), "timestamp": T0, "leg": "entry"},
        "save_transitions": dict(transition(T0).model_dump()),
        "save_daily_bias": {"date": DAY, "symbol": "AAPL", "bias": "bullish", "confidence": 0.5},
    }  # fmt: skip
    with pytest.raises(DataError) as err:
        getattr(repo, save)([{**base[save], **bad}])
    assert message in str(err.value)
    table = {"save_trades": "trades", "save_fills": "fills", "save_transitions": "live_loop_logs",
             "save_daily_bias": "daily_bias"}[save]  # fmt: skip
    assert repo.count(table) == 0


# ---------------------------------------------------------------- concurrency


def test_two_concurrent_writers_lose_no_rows(db_url: str, repo: Repository) -> None:
    errors: list[BaseException] = []

    def writer(symbol: str) -> None:
        try:
            w = open_repository(db_url)  # its own connections, as a second process would
            for b in range(20):
                start = T0 + timedelta(minutes=b * 30)
                w.save_transitions(
                    [transition(start + timedelta(minutes=i), symbol) for i in range(30)]
                )
            w.save_transitions(
                [transition(T0 + timedelta(days=1, minutes=i), symbol) for i in range(600)]
            )
            w.save_trades([_trade(i, "1.00", symbol=symbol) for i in range(50)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s,)) for s in ("AAPL", "MSFT")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert repo.count("live_loop_logs") == 2 * (20 * 30 + 600)
    assert repo.count("trades") == 100
    # the per-day P/L rollup saw both writers' trades (refreshes are serialized)
    assert repo.pnl(DAY, DAY).trades == 100 and repo.scoped("live").pnl(DAY, DAY).trades == 100


# ---------------------------------------------------------------- replay persistence


def test_replayed_week_round_trips_to_the_cent(repo: Repository) -> None:
    from .factories import replay_week

    res = replay_week(seed=3)
    assert len(res.trades) > 200
    run_id = record_replay(repo, res)
    record_replay(repo, res)  # re-recording replaces, never duplicates
    assert repo.count("trades", run_id) == len(res.trades)
    assert repo.count("trade_signals", run_id) == len(res.signals)
    assert repo.count("live_loop_logs", run_id) == len(res.transitions)
    assert repo.count("fills", run_id) == len(res.fills)
    assert repo.count("equity_snapshots", run_id) == len(res.equity_curve)
    assert repo.count("orders", run_id) >= len(res.plans)
    assert repo.count("runs") == 1

    assert repo.get_trades(run_id) == res.trades
    assert summary_from_db(repo, run_id) == res.summary
    run = repo.get_run(run_id)
    assert run is not None and run.mode == "replay" and run.summary == res.summary
    assert run.config_hash == res.config.config_hash()
    dd, _ = max_drawdown(Decimal("100000"), res.trades)
    assert Decimal(res.summary["max_drawdown"]) == dd
    # the portfolio view of the run agrees with the summary
    rep = repo.scoped(run_id).pnl(res.sessions[0], res.sessions[-1])
    assert rep.total_realized == Decimal(res.summary["pnl"]) and rep.trades == len(res.trades)
    entry = repo.get_order(res.plans[0].client_order_id, run_id)
    assert entry is not None and entry["status"] == "filled"
    assert len(repo.child_orders(res.plans[0].client_order_id, run_id)) >= 2


def test_rerecording_a_smaller_run_replaces_it(repo: Repository) -> None:
    from .factories import replay_week

    big = replay_week(seed=5, trades_per_day=20)
    record_replay(repo, big)
    small = replay_week(seed=5, trades_per_day=4)
    record_replay(repo, small)
    assert repo.count("trades", small.run_id) == len(small.trades)
    assert summary_from_db(repo, small.run_id) == small.summary
