"""The position book (position_history, migration 0007) on SQLite and PostgreSQL: open rows
update in place, a rerun writes no duplicates, closes keep the history, money stays exact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from llm_advisor.alpaca.reconcile import ClosedPosition, HeldPosition
from llm_advisor.core.errors import DataError
from llm_advisor.storage import Repository

T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 New York
DAY = date(2024, 3, 4)
RUN = "local-2024-03-04"


@pytest.fixture
def book(migrated: Repository) -> Iterator[Repository]:
    with migrated.db.transaction() as cur:
        cur.execute("DELETE FROM position_history")
    yield migrated.scoped(RUN)


def held(symbol: str = "SPY", qty: int = 10, at: datetime = T0, **kw: object) -> HeldPosition:
    fields: dict[str, object] = {
        "symbol": symbol,
        "side": "long",
        "qty": qty,
        "entry_price": Decimal("100.123456"),
        "opened_at": at,
        "current_price": Decimal("100.2"),
        "unrealized_pnl": Decimal("0.76544"),
        "stop_price": Decimal("99.01"),
        "stop_status": "held",
        "target_price": Decimal("101.55"),
        "target_status": "new",
        "client_order_id": f"stdev-20240304-{symbol}-MR-long-x",
        "setup": "MR",
    }
    fields.update(kw)
    return HeldPosition(**fields)  # type: ignore[arg-type]


def closed(symbol: str = "SPY", at: datetime = T0 + timedelta(minutes=30)) -> ClosedPosition:
    return ClosedPosition(
        symbol, at, Decimal("101.55"), Decimal("14.26544"), "target", 10, Decimal("100.123456")
    )


def test_open_row_round_trips_exactly_and_a_rerun_updates_in_place(book: Repository) -> None:
    book.sync_positions([held()], [], T0)
    book.sync_positions([held()], [], T0)  # the same minute again
    book.sync_positions([held(current_price=Decimal("100.3"))], [], T0 + timedelta(minutes=1))
    assert book.count("position_history") == 1
    (row,) = book.open_positions()
    assert (row.entry_price, row.mark_price, row.unrealized_pnl) == (
        Decimal("100.123456"),
        Decimal("100.3"),
        Decimal("0.76544"),
    )
    assert (row.stop_price, row.stop_status, row.target_price) == (
        Decimal("99.01"),
        "held",
        Decimal("101.55"),
    )
    assert (row.entry_time, row.updated_at, row.status) == (T0, T0 + timedelta(minutes=1), "open")


def test_close_keeps_history_and_the_next_holding_is_a_new_row(book: Repository) -> None:
    book.sync_positions([held()], [], T0)
    book.sync_positions([], [closed()], T0 + timedelta(minutes=31))
    book.sync_positions([], [closed()], T0 + timedelta(minutes=31))  # rerun: nothing open
    assert book.open_positions() == []
    later = T0 + timedelta(minutes=45)
    book.sync_positions([held(qty=3, at=later)], [], later)
    (now_open,) = book.open_positions()
    assert (now_open.qty, now_open.entry_time) == (3, later)
    (done,) = book.closed_positions(DAY)
    assert (done.exit_price, done.realized_pnl, done.exit_reason, done.qty) == (
        Decimal("101.55"),
        Decimal("14.26544"),
        "target",
        10,
    )
    assert done.closed_at == T0 + timedelta(minutes=30) and done.unrealized_pnl is None
    assert book.closed_positions(DAY + timedelta(days=1)) == []
    assert book.scoped("another-run").open_positions() == []
    assert book.count("position_history") == 2


def test_rerunning_a_day_into_its_run_reopens_the_same_row(book: Repository) -> None:
    book.sync_positions([held()], [], T0)
    book.sync_positions([], [closed()], T0 + timedelta(minutes=31))
    book.sync_positions([held()], [], T0)  # the day again: same holding, same opened_at
    assert book.count("position_history") == 1
    assert [r.status for r in book.open_positions()] == ["open"]


def test_bad_values_name_the_column(book: Repository) -> None:
    with pytest.raises(DataError, match=r"position_history\.entry_price"):
        book.sync_positions([held(entry_price=Decimal("0"))], [], T0)
    with pytest.raises(DataError, match=r"position_history\.exit_reason"):
        book.sync_positions(
            [], [ClosedPosition("SPY", T0, None, None, "whatever")], T0 + timedelta(minutes=1)
        )
