"""The live_tick Lambda writes the per-minute log to the database, once per symbol and
minute, also when a tick is retried after dying before its state save."""

from __future__ import annotations

from typing import Any

import boto3
import pandas as pd
from sam_support import DAY, SYMBOLS, FakeBroker, FakeContext, FrameMarketData, load_handler
from sam_support import put_context as put_premarket

from llm_advisor.bootstrap import Container
from llm_advisor.live.tick import engine_key


def _tick(app: Any, frames: dict[str, pd.DataFrame], when: str) -> dict[str, Any]:
    app._container = Container(
        overrides={"broker": FakeBroker(), "market_data": FrameMarketData(frames)}
    )
    out: dict[str, Any] = app.lambda_handler({"scheduled_time": when}, FakeContext())
    return out


def _count(app: Any) -> int:
    return int(app._container.repository.count("live_loop_minutes"))


def test_live_tick_logs_every_symbol_minute_once_across_a_retry(
    aws_env: dict[str, str], synthetic_bars: dict[str, pd.DataFrame]
) -> None:
    put_premarket(synthetic_bars)
    app = load_handler("live_tick")
    first = _tick(app, synthetic_bars, "2024-03-12T14:00:00Z")  # 09:30 .. 09:59 New York
    assert (first["status"], first["minutes"]) == ("stepped", 30)
    assert first["minute_rows"] == len(SYMBOLS) * 30 == _count(app)
    later = _tick(app, synthetic_bars, "2024-03-12T14:10:00Z")
    assert later["minute_rows"] == len(SYMBOLS) * 10
    assert _count(app) == len(SYMBOLS) * 40
    rows = app._container.repository.minute_features("SPY", DAY)
    # the state never saved (the Lambda timed out after writing records): the retry steps
    # the same 40 minutes again and the log stays one row per symbol and minute
    boto3.client("dynamodb").delete_item(TableName="state", Key={"pk": {"S": engine_key(DAY)}})
    retry = _tick(app, synthetic_bars, "2024-03-12T14:10:00Z")
    assert (retry["status"], retry["minutes"], retry["minute_rows"]) == ("stepped", 40, 80)
    assert _count(app) == len(SYMBOLS) * 40
    assert app._container.repository.minute_features("SPY", DAY) == rows
