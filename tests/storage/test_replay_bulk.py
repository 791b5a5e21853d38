"""``record_replay``'s bulk path, on both engines: it stores exactly the rows the per-table
upserts (``save_signals``, ``save_transitions``) store, values and order, reads back exactly
what the engine produced, and recording the same run again changes nothing."""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import DataError
from llm_advisor.core.models import Setup, Side, Signal, Transition
from llm_advisor.engine.records import SignalRecord, TransitionRow
from llm_advisor.replay.runner import ReplayResult
from llm_advisor.storage import Repository
from llm_advisor.storage import writes as w
from llm_advisor.storage.codec import Codec
from llm_advisor.storage.replay_store import _order_rows, record_replay, summary_from_db
from llm_advisor.storage.repository import RUN_TABLES

from .factories import FakeReplayResult, replay_week

MIGRATIONS = Path(w.__file__).parent / "migrations"
T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


def _engine_shaped(res: FakeReplayResult) -> FakeReplayResult:
    """The fabricated week as the engine emits it: ``SignalRecord``/``TransitionRow``."""
    signals: list[Any] = [
        SignalRecord(**{f: getattr(s, f) for f in SignalRecord._fields}) for s in res.signals
    ]
    transitions: list[Any] = [
        TransitionRow(t.timestamp, t.symbol, t.old_state.value, t.new_state.value, t.z,
                      t.mr_arm_z, t.mr_trigger_z, t.tc_arm_z, t.tc_trigger_z, t.reason)
        for t in res.transitions
    ]  # fmt: skip
    return replace(res, signals=signals, transitions=transitions)


@pytest.fixture(scope="module")
def engine_run() -> ReplayResult:
    """A real replay (13 synthetic symbols x 3 sessions, ``BRK.B`` among them)."""
    from llm_advisor.replay.inputs import synthetic
    from llm_advisor.replay.runner import run_replay

    inp = synthetic([f"S{i:02d}" for i in range(12)] + ["BRK.B"], date(2026, 2, 2), 3)
    res = run_replay(StrategyConfig(), inp.bars, inp.start, inp.end, show_progress=False)
    assert res.signals and res.transitions and res.trades
    assert type(res.signals[0]) is SignalRecord and type(res.transitions[0]) is TransitionRow
    return res


def _names(repo: Repository, table: str) -> list[str]:
    with repo.db.transaction() as cur:
        cur.execute(f"SELECT * FROM {table} WHERE 1 = 0")
        raw: Any = getattr(cur, "raw", cur)  # psycopg's cursor behind the PostgreSQL wrapper
        return [d[0] for d in raw.description]


def _dump(repo: Repository, table: str, run_id: str) -> list[tuple[Any, ...]]:
    """The run's rows as stored (text on SQLite, native types on PostgreSQL), in id order."""
    names = _names(repo, table)
    cols = [n for n in names if n not in ("id", "run_id")]
    order = "id" if "id" in names else ", ".join(cols)
    with repo.db.transaction() as cur:
        cur.execute(
            f"SELECT {', '.join(cols)} FROM {table} WHERE run_id = ? ORDER BY {order}", (run_id,)
        )
        return [tuple(r) for r in cur.fetchall()]


def _snapshot(repo: Repository, run_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {t: _dump(repo, t, run_id) for t in RUN_TABLES}
    with repo.db.transaction() as cur:
        cur.execute("SELECT * FROM daily_pnl WHERE run_id = ? ORDER BY session_date", (run_id,))
        out["daily_pnl"] = [tuple(r) for r in cur.fetchall()]
        cur.execute("SELECT COUNT(*) FROM runs")
        out["runs"] = cur.fetchone()[0]
    return out


# ---------------------------------------------------------------- same rows as the upserts


@pytest.mark.parametrize("shape", ["engine", "models"])
def test_bulk_rows_equal_the_upserts(repo: Repository, shape: str) -> None:
    res = replay_week(seed=7, trades_per_day=120)  # >= 500 signals: PostgreSQL's COPY path
    if shape == "engine":
        res = _engine_shaped(res)
    assert len(res.signals) >= 500
    run_id = record_replay(repo, res)
    repo.save_signals(res.signals, run_id="reference")
    repo.save_transitions(res.transitions, run_id="reference")
    orders, history = _order_rows(res.plans, res.fills, res.cancelled)
    with repo.db.transaction() as cur:
        repo.insert_orders(cur, orders, history, "reference")
    for table in ("trade_signals", "live_loop_logs", "orders", "order_status_history"):
        assert _dump(repo, table, run_id) == _dump(repo, table, "reference"), table
    assert repo.get_signals(run_id) == repo.get_signals("reference")
    assert repo.get_transitions(run_id) == repo.get_transitions("reference")


def test_a_repeated_signal_key_keeps_its_first_place_and_last_values(repo: Repository) -> None:
    res = _engine_shaped(replay_week(seed=2, trades_per_day=8))
    first: Any = res.signals[3]  # a SignalRecord
    again = first._replace(z=-3.75, reject_reason="later copy")
    res = replace(res, signals=[*res.signals, again])
    run_id = record_replay(repo, res)
    repo.save_signals(res.signals, run_id="reference")
    assert _dump(repo, "trade_signals", run_id) == _dump(repo, "trade_signals", "reference")
    stored = [s for s in repo.get_signals(run_id) if s.client_order_id == first.client_order_id]
    assert [(s.z, s.reject_reason) for s in stored] == [(-3.75, "later copy")]
    assert repo.count("trade_signals", run_id) == len(res.signals) - 1


# ---------------------------------------------------------------- a real run, exactly


def test_engine_run_round_trips_exactly_and_rerecording_changes_nothing(
    repo: Repository, engine_run: ReplayResult
) -> None:
    run_id = record_replay(repo, engine_run)
    assert repo.get_transitions(run_id) == [
        t.to_model() for t in sorted(engine_run.transitions, key=lambda t: (t.timestamp, t.symbol))
    ]
    assert repo.get_signals(run_id) == [
        s.to_model() for s in sorted(engine_run.signals, key=lambda s: (s.signal_time, s.symbol))
    ]
    by_id = sorted(engine_run.trades, key=lambda t: t.client_order_id)
    assert sorted(repo.get_trades(run_id), key=lambda t: t.client_order_id) == by_id  # Decimals
    assert summary_from_db(repo, run_id) == engine_run.summary
    assert repo.get_equity_curve(run_id) == engine_run.equity_curve
    before = _snapshot(repo, run_id)
    assert len(before["live_loop_logs"]) == len(engine_run.transitions)
    assert len(before["trade_signals"]) == len(engine_run.signals)

    assert record_replay(repo, engine_run) == run_id
    assert _snapshot(repo, run_id) == before


def test_a_bad_record_fails_whole_and_keeps_the_stored_copy(
    repo: Repository, engine_run: ReplayResult
) -> None:
    run_id = record_replay(repo, engine_run)
    before = _snapshot(repo, run_id)
    bad_signal = engine_run.signals[0]._replace(z=math.nan)
    with pytest.raises(DataError, match=r"trade_signals\.z=nan"):
        record_replay(repo, replace(engine_run, signals=[*engine_run.signals, bad_signal]))
    bad_transition = engine_run.transitions[0]._replace(old_state="sleeping")
    with pytest.raises(DataError, match=r"live_loop_logs\.old_state='sleeping'"):
        record_replay(
            repo, replace(engine_run, transitions=[*engine_run.transitions, bad_transition])
        )
    assert _snapshot(repo, run_id) == before


# ---------------------------------------------------------------- SQLite's CHECKs


def _checks(engine: str, table: str) -> list[str]:
    """The CHECK expressions of ``table`` in the migrations (whitespace collapsed)."""
    sql = "\n".join(p.read_text() for p in sorted((MIGRATIONS / engine).glob("*.sql")))
    body = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \((.*?)\n\)", sql, re.S)
    assert body is not None and f"ALTER TABLE {table}" not in sql
    text = " ".join(body.group(1).split())
    found = []
    for m in re.finditer(r"CHECK \(", text):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        found.append(text[m.end() : i - 1])
    return found


def _in_list(expr: str) -> tuple[str, frozenset[str]]:
    m = re.fullmatch(r"(\w+) IN \((.*)\)", expr)
    assert m is not None, expr
    return m.group(1), frozenset(v.strip().strip("'") for v in m.group(2).split(","))


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_writes_checks_what_the_migrations_check(engine: str) -> None:
    """The SQLite bulk insert skips the CHECK constraints of these two tables because
    ``writes`` enforces the same rules; a new or changed CHECK must fail here."""
    lists = {"old_state": w.STATES, "new_state": w.STATES, "setup": w.SETUPS,
             "side": w.SIDES, "status": w.SIGNAL_STATUSES}  # fmt: skip
    others = {
        "live_loop_logs": {"seq >= 0"},
        "trade_signals": {"qty >= 0"}
        | {
            f"CAST({p} AS REAL) > 0" if engine == "sqlite" else f"{p} > 0"
            for p in ("ref_price", "stop_price", "target_price")
        },
    }
    for table in ("live_loop_logs", "trade_signals"):
        rest = set()
        for expr in _checks(engine, table):
            if " IN (" in expr:
                column, values = _in_list(expr)
                assert values == lists[column], (table, column)
            else:
                rest.add(expr)
        assert rest == others[table], table


def test_sqlite_checks_are_on_again_after_recording(
    repo: Repository, engine_run: ReplayResult
) -> None:
    if repo.engine != "sqlite":
        pytest.skip("a SQLite pragma")
    record_replay(repo, engine_run)
    with repo.db.transaction() as cur:  # the same thread, so the same connection
        cur.execute("PRAGMA ignore_check_constraints")
        assert cur.fetchone()[0] == 0
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            cur.execute(
                "INSERT INTO live_loop_logs (run_id, timestamp, symbol, old_state, new_state, "
                "mr_arm_z, mr_trigger_z, tc_arm_z, tc_trigger_z) VALUES "
                "('x', '2024-03-04T15:00:00.000000Z', 'AAPL', 'sleeping', 'idle', 1, 1, 1, 1)"
            )


# ---------------------------------------------------------------- the signal encoder


def _record(**kw: Any) -> SignalRecord:
    base: dict[str, Any] = {
        "signal_time": T0, "symbol": "BRK.B", "setup": Setup.MR, "side": Side.SHORT,
        "status": "accepted", "reject_reason": "", "z": 2.31, "ref_price": 187.25,
        "atr_5m": 0.42, "risk_per_share": 0.63, "stop_price": 187.88, "target_price": 186.0,
        "qty": 120, "equity": Decimal("100000.00"), "mr_arm_z": 2.0, "mr_trigger_z": 1.5,
        "tc_arm_z": 2.5, "tc_trigger_z": 1.0, "mult_mr_arm": 1.0, "mult_mr_trigger": 1.0,
        "mult_tc_arm": 1.0, "mult_tc_trigger": 1.0, "client_order_id": "c-1",
    }  # fmt: skip
    base.update(kw)
    return SignalRecord(**base)


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_signal_fast_path_encodes_like_signal_row(engine: str) -> None:
    codec = Codec(engine)  # type: ignore[arg-type]
    ny = datetime(2024, 3, 4, 10, 0).astimezone()  # any aware time, converted to UTC
    records = [
        _record(),
        _record(ref_price=1e16, stop_price=1.5e-05, target_price=0.1 + 0.2),
        _record(ref_price=123456789.125, stop_price=None, target_price=None, atr_5m=None,
                risk_per_share=None, qty=0, status="rejected", reject_reason="max_positions"),
        _record(setup="TC", side="long", equity=Decimal("99871.2300"), signal_time=ny),
        _record(signal_time=T0 + timedelta(minutes=1), z=-0.0, equity=Decimal("1E+5")),
    ]  # fmt: skip
    fast = w.signal_rows(codec, "r", records)
    slow = [w.signal_row(codec, "r", r) for r in records]
    assert fast == slow
    assert [[type(v) for v in row] for row in fast] == [[type(v) for v in row] for row in slow]
    models = [w.signal_row(codec, "r", Signal.model_validate(r._asdict())) for r in records]
    assert fast == models


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"z": math.inf}, "trade_signals.z=inf"),
        ({"ref_price": -1.0}, "trade_signals.ref_price=-1.0: must be positive"),
        ({"stop_price": math.nan}, "trade_signals.stop_price=nan"),
        ({"setup": "XX"}, "trade_signals.setup='XX'"),
        ({"symbol": "brk b"}, "trade_signals.symbol='brk b'"),
        ({"qty": -1}, "trade_signals.qty=-1"),
        ({"status": ["accepted"]}, "trade_signals.status=['accepted']"),
        ({"signal_time": datetime(2024, 3, 4, 15, 0)}, "trade_signals.signal_time="),
    ],
)
def test_signal_fast_path_names_a_bad_field(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(DataError) as err:
        w.signal_rows(Codec("sqlite"), "r", [_record(), _record(**bad)])
    assert message in str(err.value)


def test_transitions_of_the_engine_and_of_models_encode_alike() -> None:
    codec = Codec("sqlite")
    rows = [
        Transition(timestamp=T0, symbol="AAPL", old_state="idle", new_state="mr_armed", z=None,
                   mr_arm_z=2.0, mr_trigger_z=1.5, tc_arm_z=2.5, tc_trigger_z=1.0, reason="arm")
    ]  # fmt: skip
    engine = _engine_shaped(FakeReplayResult(transitions=rows)).transitions
    assert w.transition_rows(codec, "r", engine * 2) == w.transition_rows(codec, "r", rows * 2)
