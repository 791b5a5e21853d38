"""Each handler on its sample event, under moto, with the broker and market data faked."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pandas as pd
from sam_support import (
    DAY,
    FakeBroker,
    FakeContext,
    FrameMarketData,
    event,
    load_handler,
    put_context,
)

from llm_advisor.bootstrap import Container
from llm_advisor.core.models import TradePlan
from llm_advisor.core.ports import BrokerOrder
from llm_advisor.live.tick import advice_key, decode_state, engine_key


def _container(**overrides: Any) -> Container:
    # The tick reads the broker account when a session begins (live sizing).
    overrides.setdefault("broker", FakeBroker())
    return Container(overrides=overrides)


def _executor(**overrides: Any) -> Container:
    """The executor's container a few seconds after the sample plan's signal bar closed: its
    clock, not the message's SentTimestamp, decides whether a plan is stale (issue 11)."""
    from datetime import UTC, datetime

    from llm_advisor.core.clock import ManualClock

    at = datetime(2024, 3, 12, 14, 41, 5, tzinfo=UTC)
    return _container(clock=ManualClock(at), **overrides)


def _tick(app: Any, frames: dict[str, pd.DataFrame], when: str) -> dict[str, Any]:
    app._container = _container(market_data=FrameMarketData(frames))
    out: dict[str, Any] = app.lambda_handler({"scheduled_time": when}, FakeContext())
    return out


def test_live_tick_is_a_no_op_on_a_weekend(aws_env: dict[str, str]) -> None:
    app = load_handler("live_tick")
    app._container = _container(market_data=FrameMarketData({}))
    out = app.lambda_handler({"scheduled_time": "2024-03-09T15:00:00Z"}, FakeContext())
    assert out["status"] == "closed"
    assert boto3.client("dynamodb").scan(TableName="state")["Items"] == []


def test_live_tick_before_the_open_is_a_no_op(aws_env: dict[str, str]) -> None:
    app = load_handler("live_tick")
    app._container = _container(market_data=FrameMarketData({}))
    out = app.lambda_handler({"scheduled_time": "2024-03-12T13:15:00Z"}, FakeContext())
    assert out["status"] == "closed"


def test_live_tick_sample_event_steps_every_complete_bar_and_saves_state(
    aws_env: dict[str, str], synthetic_bars: dict[str, pd.DataFrame]
) -> None:
    put_context(synthetic_bars)
    app = load_handler("live_tick")
    app._container = _container(market_data=FrameMarketData(synthetic_bars))
    out = app.lambda_handler(event("live_tick"), FakeContext())
    assert out["status"] == "stepped"
    assert out["first_minute"] == "2024-03-12T13:30:00+00:00"
    assert out["last_minute"] == "2024-03-12T14:44:00+00:00"  # 14:45 is still forming
    store = app._container.state
    blob, version = store.load(engine_key(DAY))
    assert version == 1
    assert decode_state(blob)["last_minute"] == "2024-03-12T14:44:00Z"
    again = app.lambda_handler(event("live_tick"), FakeContext())
    assert again["status"] == "up_to_date"
    later = _tick(app, synthetic_bars, "2024-03-12T14:47:00Z")
    assert (later["first_minute"], later["minutes"]) == ("2024-03-12T14:45:00+00:00", 2)


def test_live_tick_without_premarket_context_does_not_start(
    aws_env: dict[str, str], synthetic_bars: dict[str, pd.DataFrame]
) -> None:
    out = _tick(load_handler("live_tick"), synthetic_bars, "2024-03-12T14:45:00Z")
    assert out["status"] == "no_context"


def test_market_analysis_stores_advice_where_the_tick_reads_it(
    aws_env: dict[str, str], synthetic_bars: dict[str, pd.DataFrame]
) -> None:
    put_context(synthetic_bars)
    _tick(load_handler("live_tick"), synthetic_bars, "2024-03-12T14:45:00Z")
    app = load_handler("market_analysis")
    app._container = _container()
    out = app.lambda_handler(event("market_analysis"), FakeContext())
    assert out["status"] == "analysed"
    assert out["source"] == "rules"
    stored = app._container.state.load(advice_key(DAY))
    assert json.loads(stored[0])["as_of"].startswith("2024-03-12T14:45:00")
    row = app._container.repository.latest_analysis()
    assert row is not None and row.provider == "rules"
    # the next tick applies it
    tick = load_handler("live_tick")
    _tick(tick, synthetic_bars, "2024-03-12T14:46:00Z")
    state = decode_state(tick._container.state.load(engine_key(DAY))[0])
    assert [a["source"] for a in state["advices"]] == ["rules"]


def _plan_record(plan: TradePlan, n: int) -> dict[str, Any]:
    rec: dict[str, Any] = event("trade_executor")["Records"][0]
    return {**rec, "messageId": f"m-{n}", "body": plan.model_dump_json()}


def test_executor_receiving_every_message_twice_places_one_order(
    aws_env: dict[str, str],
) -> None:
    app = load_handler("trade_executor")
    broker = FakeBroker()
    app._container = _executor(broker=broker)
    base = json.loads(event("trade_executor")["Records"][0]["body"])
    plans = [
        TradePlan.model_validate({**base, "client_order_id": base["client_order_id"] + s})
        for s in ("", "-b")
    ]
    records = [_plan_record(p, i) for i, p in enumerate(plans * 2)]
    out = app.lambda_handler({"Records": records}, FakeContext())
    assert out == {"batchItemFailures": []}
    out = app.lambda_handler({"Records": records[::-1]}, FakeContext())
    assert out == {"batchItemFailures": []}
    assert broker.submits == 2
    assert sorted(broker.orders) == sorted(p.client_order_id for p in plans)
    repo = app._container.repository
    for p in plans:
        row = repo.get_order(p.client_order_id)
        assert row["broker_order_id"] == broker.orders[p.client_order_id].broker_order_id


def test_executor_reports_only_the_bad_message_as_failed(aws_env: dict[str, str]) -> None:
    app = load_handler("trade_executor")
    app._container = _executor(broker=FakeBroker())
    good = event("trade_executor")["Records"][0]
    bad = {**good, "messageId": "bad", "body": '{"symbol": "SPY"}'}
    out = app.lambda_handler({"Records": [good, bad]}, FakeContext())
    assert out == {"batchItemFailures": [{"itemIdentifier": "bad"}]}


def test_executor_blocks_new_orders_after_the_kill_switch(aws_env: dict[str, str]) -> None:
    from llm_advisor.execution.monitor import kill_switch_key

    app = load_handler("trade_executor")
    broker = FakeBroker()
    app._container = _executor(broker=broker)
    app._container.state.save(kill_switch_key(DAY), b"{}", None)
    out = app.lambda_handler(event("trade_executor"), FakeContext())
    assert out == {"batchItemFailures": []}
    assert broker.submits == 0


def test_position_monitor_reconciles_and_flattens_at_eod(aws_env: dict[str, str]) -> None:
    from llm_advisor.core.ports import BrokerPosition

    app = load_handler("position_monitor")
    broker = FakeBroker()
    app._container = _container(broker=broker)
    out = app.lambda_handler(event("position_monitor"), FakeContext())
    assert out["status"] == "reconciled" and not out["flattened"]
    broker.positions = [BrokerPosition(symbol="SPY", qty=5, avg_entry_price="500")]
    out = app.lambda_handler({"scheduled_time": "2024-03-12T19:50:00Z"}, FakeContext())
    assert out["flattened"] and broker.closed == 1 and broker.cancelled == 1


def test_position_monitor_kill_switch_on_daily_loss(aws_env: dict[str, str]) -> None:
    from decimal import Decimal

    from llm_advisor.core.ports import BrokerPosition
    from llm_advisor.execution.monitor import kill_switch_active

    app = load_handler("position_monitor")
    broker = FakeBroker()
    app._container = _container(broker=broker)
    app.lambda_handler({"scheduled_time": "2024-03-12T13:35:00Z"}, FakeContext())
    broker.positions = [BrokerPosition(symbol="SPY", qty=5, avg_entry_price="500")]
    broker.equity = Decimal(97_999)  # -2.001 % of the day's starting equity
    out = app.lambda_handler({"scheduled_time": "2024-03-12T15:00:00Z"}, FakeContext())
    assert out["kill_switch"] and out["flattened"]
    assert kill_switch_active(app._container.state, DAY)


def test_premarket_sample_event_writes_database_and_archive(
    aws_env: dict[str, str], synthetic_bars: dict[str, pd.DataFrame]
) -> None:
    app = load_handler("premarket")
    app._container = _container(market_data=FrameMarketData(synthetic_bars))
    out = app.lambda_handler(event("premarket"), FakeContext())
    assert out["status"] == "written"
    assert out["symbols"] == ["QQQ", "SPY"]
    body = app._container.archive.get(out["archive_key"])
    assert body is not None and b'"2024-03-12"' in body
    assert set(app._container.repository.get_premarket_snapshots(DAY)) == {"QQQ", "SPY"}


def test_premarket_step_function_steps_compose_the_same_context(
    aws_env: dict[str, str], synthetic_bars: dict[str, pd.DataFrame]
) -> None:
    app = load_handler("premarket")
    app._container = _container(market_data=FrameMarketData(synthetic_bars))
    plan = app.lambda_handler({"step": "bias", **event("premarket")}, FakeContext())
    parts = [
        app.lambda_handler(
            {"step": "snapshot", "session_date": plan["session_date"], "symbol": s}, FakeContext()
        )
        for s in plan["symbols"]
    ]
    persisted = app.lambda_handler(
        {"step": "persist", "session_date": plan["session_date"], "snapshots": parts},
        FakeContext(),
    )
    whole = app.lambda_handler(event("premarket"), FakeContext())
    assert persisted["archive_key"] == whole["archive_key"]
    assert persisted["context_json"].encode() == app._container.archive.get(whole["archive_key"])


def test_executor_records_a_broker_rejection_and_consumes_the_message(
    aws_env: dict[str, str],
) -> None:
    """A refused order is final: retried later it could open at another price."""
    from llm_advisor.core.errors import RejectedError

    class RefusingBroker(FakeBroker):
        def submit_bracket(self, plan: TradePlan) -> BrokerOrder:
            self.submits += 1
            raise RejectedError("take_profit.limit_price must be >= base_price + 0.01")

    app = load_handler("trade_executor")
    broker = RefusingBroker()
    app._container = _executor(broker=broker)
    out = app.lambda_handler(event("trade_executor"), FakeContext())
    assert out == {"batchItemFailures": []} and broker.submits == 1
    cid = json.loads(event("trade_executor")["Records"][0]["body"])["client_order_id"]
    assert app._container.repository.get_order(cid)["status"] == "rejected"


def test_executor_lets_sqs_retry_a_transient_broker_failure(aws_env: dict[str, str]) -> None:
    from llm_advisor.core.errors import RetryableError

    class FlakyBroker(FakeBroker):
        def submit_bracket(self, plan: TradePlan) -> BrokerOrder:
            if "-MR-" in plan.client_order_id:
                raise RetryableError("HTTP 503")
            return super().submit_bracket(plan)

    app = load_handler("trade_executor")
    broker = FlakyBroker()
    app._container = _executor(broker=broker)
    rec = event("trade_executor")["Records"][0]
    good = {**rec, "messageId": "ok", "body": rec["body"].replace("-MR-", "-TC-")}
    out = app.lambda_handler({"Records": [rec, good]}, FakeContext())
    assert out == {"batchItemFailures": [{"itemIdentifier": rec["messageId"]}]}
    assert broker.submits == 1


def test_market_analysis_acts_only_at_the_configured_analysis_times(
    aws_env: dict[str, str], synthetic_bars: dict[str, pd.DataFrame]
) -> None:
    """The schedule fires every 5 minutes; replay analyses at 09:45 + k x interval only, so
    the handler must skip the rest (09:30 above all) or live and replay would diverge."""
    put_context(synthetic_bars)
    _tick(load_handler("live_tick"), synthetic_bars, "2024-03-12T13:31:00Z")
    app = load_handler("market_analysis")
    app._container = _container()
    for t, status in (
        ("13:35", "not_scheduled"),
        ("14:40", "not_scheduled"),
        ("14:45", "analysed"),
    ):
        out = app.lambda_handler({"scheduled_time": f"2024-03-12T{t}:00Z"}, FakeContext())
        assert out["status"] == status, t
