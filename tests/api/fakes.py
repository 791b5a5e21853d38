"""An in-memory ``PortfolioQueries`` with just enough logic to check the API's wiring.

The P/L arithmetic mirrors what storage promises (realized per exit day, drawdown of the
closing equity), so numbers asserted through the API are derived, not pasted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from llm_advisor.core.calendar import NY
from llm_advisor.core.ports import (
    AnalysisRow,
    DailyBiasRow,
    DayPnl,
    EquityPoint,
    PnlReport,
    PositionRow,
    RunRow,
    SignalRow,
    TradePage,
    TradeRow,
)

START_EQUITY = Decimal("100000")


def ny_day(ts: datetime) -> date:
    return ts.astimezone(NY).date()


@dataclass
class FakePortfolio:
    biases: list[DailyBiasRow] = field(default_factory=list)
    trade_rows: list[TradeRow] = field(default_factory=list)
    positions: list[PositionRow] = field(default_factory=list)
    analyses: list[AnalysisRow] = field(default_factory=list)
    signal_rows: list[SignalRow] = field(default_factory=list)
    run_rows: list[RunRow] = field(default_factory=list)
    scope: str | None = None  # the run of the last ``scoped`` call (the fake keeps one book)
    healthy: bool = True
    fail_with: Exception | None = None
    calls: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)

    def _hit(self, name: str, *args: object) -> None:
        self.calls.append((name, args))
        if self.fail_with is not None:
            raise self.fail_with

    def daily_bias(self, day: date, symbol: str | None = None) -> list[DailyBiasRow]:
        self._hit("daily_bias", day, symbol)
        return [b for b in self.biases if b.date == day and symbol in (None, b.symbol)]

    def trades(
        self,
        start: date,
        end: date,
        symbol: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> TradePage:
        self._hit("trades", start, end, symbol, limit, offset)
        rows = [
            t
            for t in self.trade_rows
            if start <= ny_day(t.exit_time) <= end and symbol in (None, t.symbol)
        ]
        # storage's order: session date, then entry time (oldest first)
        rows.sort(key=lambda t: (ny_day(t.exit_time), t.entry_time, t.symbol, t.id))
        return TradePage(
            items=rows[offset : offset + limit], total=len(rows), limit=limit, offset=offset
        )

    def pnl(self, start: date, end: date) -> PnlReport:
        self._hit("pnl", start, end)
        rows = sorted(
            (t for t in self.trade_rows if start <= ny_day(t.exit_time) <= end),
            key=lambda t: t.exit_time,
        )
        per_day: dict[date, list[TradeRow]] = defaultdict(list)
        for t in rows:
            per_day[ny_day(t.exit_time)].append(t)
        days = [
            DayPnl(
                date=d,
                realized=sum((t.pnl for t in ts), Decimal(0)),
                fees=sum((t.commission for t in ts), Decimal(0)),
                trades=len(ts),
                wins=sum(1 for t in ts if t.pnl > 0),
            )
            for d, ts in sorted(per_day.items())
        ]
        equity = START_EQUITY
        peak = equity
        dd = Decimal(0)
        curve = [EquityPoint(time=datetime.combine(start, datetime.min.time(), UTC), equity=equity)]
        for t in rows:
            equity += t.pnl
            peak = max(peak, equity)
            dd = max(dd, peak - equity)
            curve.append(EquityPoint(time=t.exit_time, equity=equity))
        n = len(rows)
        return PnlReport(
            start_date=start,
            end_date=end,
            days=days,
            total_realized=sum((t.pnl for t in rows), Decimal(0)),
            total_fees=sum((t.commission for t in rows), Decimal(0)),
            trades=n,
            win_rate=(sum(1 for t in rows if t.pnl > 0) / n) if n else None,
            max_drawdown=dd,
            equity_curve=curve,
        )

    def open_positions(self) -> list[PositionRow]:
        self._hit("open_positions")
        return list(self.positions)

    def latest_analysis(self, at: datetime | None = None) -> AnalysisRow | None:
        self._hit("latest_analysis", at)
        rows = [a for a in self.analyses if at is None or a.timestamp <= at]
        return max(rows, key=lambda a: a.timestamp) if rows else None

    def signals(
        self, start: date, end: date, symbol: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[SignalRow]:
        self._hit("signals", start, end, symbol, limit, offset)
        rows = [
            s
            for s in self.signal_rows
            if start <= ny_day(s.signal_time) <= end and symbol in (None, s.symbol)
        ]
        rows.sort(key=lambda s: (ny_day(s.signal_time), s.signal_time, s.symbol))
        return rows[offset : offset + limit]

    def ping(self) -> bool:
        self._hit("ping")
        return self.healthy

    def scoped(self, run_id: str | None) -> FakePortfolio:
        self._hit("scoped", run_id)
        self.scope = run_id
        return self

    def runs(self) -> list[RunRow]:
        self._hit("runs")
        return sorted(self.run_rows, key=lambda r: r.created_at, reverse=True)

    def find_run(self, run_id: str) -> RunRow | None:
        self._hit("find_run", run_id)
        return next((r for r in self.run_rows if r.run_id == run_id), None)

    def latest_run(self, kinds: Sequence[str]) -> RunRow | None:
        self._hit("latest_run", tuple(kinds))
        rows = [r for r in self.run_rows if r.kind in kinds]
        return max(rows, key=lambda r: (r.created_at, r.run_id)) if rows else None


def trade(
    i: int,
    symbol: str,
    exit_time: datetime,
    pnl: str,
    commission: str = "0.00",
    side: str = "long",
) -> TradeRow:
    entry = exit_time - timedelta(minutes=20)
    return TradeRow(
        id=i,
        run_id="run-1",
        symbol=symbol,
        setup="MR",
        side=side,
        signal_time=entry - timedelta(minutes=1),
        entry_time=entry,
        entry_price=Decimal("100.10"),
        exit_time=exit_time,
        exit_price=Decimal("100.10") + Decimal(pnl) / 10,
        qty=10,
        exit_reason="target",
        pnl=Decimal(pnl),
        commission=Decimal(commission),
        client_order_id=f"stdev-{exit_time:%Y%m%d}-{symbol}-MR-buy-{i}",
    )


def sample_portfolio() -> FakePortfolio:
    """Three sessions of trades (2024-03-04..06), one open position, two analyses."""
    t0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
    trades = [
        trade(1, "SPY", t0, "120.50", "1.00"),
        trade(2, "QQQ", t0 + timedelta(hours=1), "-40.25", "1.00"),
        trade(3, "SPY", t0 + timedelta(days=1), "-100.00", "1.00"),
        trade(4, "NVDA", t0 + timedelta(days=2), "60.10", "1.00", side="short"),
        trade(5, "SPY", t0 + timedelta(days=2, hours=1), "15.05", "1.00"),
    ]
    bias = [
        DailyBiasRow(date=date(2024, 3, 6), symbol="SPY", bias="bullish", confidence=0.62),
        DailyBiasRow(
            date=date(2024, 3, 6),
            symbol="QQQ",
            bias="choppy",
            confidence=0.41,
            htf_bias="neutral",
            news_summary="CPI tomorrow",
            model_version="lr-1",
        ),
    ]
    pos = [
        PositionRow(
            symbol="TSLA",
            side="long",
            qty=5,
            entry_price=Decimal("180.25"),
            entry_time=datetime(2024, 3, 6, 15, 30, tzinfo=UTC),
            mark_price=Decimal("181.00"),
            unrealized_pnl=Decimal("3.75"),
            stop_price=Decimal("178.00"),
            target_price=None,
            client_order_id="stdev-20240306-TSLA-MR-buy-x",
        ),
        PositionRow(
            symbol="IWM",
            side="short",
            qty=3,
            entry_price=Decimal("200.00"),
            entry_time=datetime(2024, 3, 6, 15, 40, tzinfo=UTC),
            mark_price=None,
            unrealized_pnl=None,
            stop_price=None,
            target_price=None,
            client_order_id="stdev-20240306-IWM-TC-sell-y",
        ),
    ]
    analyses = [
        AnalysisRow(
            timestamp=datetime(2024, 3, 6, 14, 45, tzinfo=UTC),
            session_date=date(2024, 3, 6),
            provider="rules",
            model=None,
            market_assessment="range",
            confidence=0.5,
            mult_mr_arm=1.0,
            mult_mr_trigger=1.0,
            mult_tc_arm=1.1,
            mult_tc_trigger=1.1,
            reasoning="early session, quiet",
        ),
        AnalysisRow(
            timestamp=datetime(2024, 3, 6, 15, 0, tzinfo=UTC),
            session_date=date(2024, 3, 6),
            provider="bedrock",
            model="claude-haiku",
            market_assessment="trending up",
            confidence=0.7,
            mult_mr_arm=1.2,
            mult_mr_trigger=1.15,
            mult_tc_arm=0.9,
            mult_tc_trigger=0.95,
            reasoning="breadth strong; fade less",
            per_symbol={"SPY": {"mr_arm": 1.3}},
        ),
    ]
    sigs = [
        SignalRow(
            signal_time=t.signal_time,
            symbol=t.symbol,
            setup="MR",
            side="buy",
            status="taken",
            reject_reason="",
            z=-2.4,
            ref_price=t.entry_price,
            stop_price=Decimal("99.00"),
            target_price=None,
            qty=10,
            mr_arm_z=2.0,
            mr_trigger_z=1.5,
            tc_arm_z=2.5,
            tc_trigger_z=2.0,
            client_order_id=t.client_order_id,
        )
        for t in trades
    ]
    return FakePortfolio(
        biases=bias, trade_rows=trades, positions=pos, analyses=analyses, signal_rows=sigs
    )
