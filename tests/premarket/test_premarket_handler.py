"""The premarket Lambda on a real day under moto: Alpaca's news (the Alpaca stand-in) and the
VIX (a local CSV server) end up in the archived context and the database; an unreachable
VIX source falls back to SPY's realised volatility and says so; the Step Functions steps
compose the same document with the VIX gathered once."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from llm_advisor.aws.clients import reset_clients
from llm_advisor.bootstrap import Container
from llm_advisor.premarket.context import load_premarket_context
from llm_advisor.standins.alpaca_server import AlpacaStandIn

from .standin_ports import AlpacaLikeBars, cboe_csv, closed_port_url, csv_server

ROOT = Path(__file__).resolve().parents[2]
EVENT = {"scheduled_time": "2026-03-16T12:30:00Z"}  # 08:30 New York, Monday
KEY = "2026/03/2026-03-16/premarket_context.json"


@dataclass
class FakeContext:
    function_name: str = "premarket"
    memory_limit_in_mb: int = 2048
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:premarket"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def _load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fn_premarket_app_news", ROOT / "functions" / "premarket" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def alpaca() -> Iterator[AlpacaStandIn]:
    with AlpacaStandIn() as server:
        t = lambda s: datetime.fromisoformat(s).replace(tzinfo=UTC)  # noqa: E731
        server.news.add("Nvidia unveils Rubin Ultra at GTC", t("2026-03-15T18:00:00"), ["NVDA"])
        server.news.add("Stock futures rise ahead of Fed week", t("2026-03-16T11:00:00"), ["SPY"])
        server.news.add("Nvidia after-the-run headline", t("2026-03-16T13:30:00"), ["NVDA"])
        yield server


@pytest.fixture
def aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alpaca: AlpacaStandIn) -> Iterator[Path]:
    with mock_aws():
        reset_clients()
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="archive")
        db = tmp_path / "advisor.sqlite3"
        env = {
            "ADVISOR_RUNTIME": "aws",
            "ADVISOR_WATCHLIST": "SPY,QQQ,NVDA",
            "ADVISOR_ANALYST": "rules",
            "ADVISOR_ARCHIVE_BUCKET": "archive",
            "ADVISOR_AWS_REGION": "us-east-1",
            "ADVISOR_DB_URL": f"sqlite:///{db}",
            "ADVISOR_ALPACA_URL_OVERRIDE": alpaca.url,
            "ALPACA_API_KEY": alpaca.api_key,
            "ALPACA_SECRET_KEY": alpaca.secret_key,
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        yield db
        reset_clients()


def _app(real_bars: dict[str, pd.DataFrame], real_daily: dict[str, pd.DataFrame]) -> Any:
    app = _load_app()
    daily = {k: v for k, v in real_daily.items() if k != "VIX"}  # Alpaca serves no index
    app._container = Container(overrides={"market_data": AlpacaLikeBars(real_bars, daily)})
    return app


def _archived(app: Any) -> Any:
    body = app._container.archive.get(KEY)
    assert body is not None
    return load_premarket_context(body)


def test_handler_records_news_and_the_vix_in_archive_and_database(
    aws: Path, alpaca: AlpacaStandIn, real_bars, real_daily, monkeypatch: pytest.MonkeyPatch
):
    with csv_server(cboe_csv(real_daily["VIX"])) as url:
        monkeypatch.setenv("ADVISOR_VIX_SOURCE_URL", url)
        app = _app(real_bars, real_daily)
        out = app.lambda_handler(EVENT, FakeContext())
    assert out["status"] == "written" and out["symbols"] == ["NVDA", "QQQ", "SPY"]
    vix = float(real_daily["VIX"].loc["2026-03-13", "close"])
    assert (out["vix"], out["vix_source"]) == (vix, "cboe")
    ctx = _archived(app)
    m = ctx.market_context
    assert (m.vix_close, m.vix_source, m.vix_as_of.isoformat()) == (vix, "cboe", "2026-03-13")
    assert m.news_count == 1 and "Stock futures rise" in m.news_summary and m.news_note == ""
    nvda = ctx.symbols["NVDA"]
    assert [i.headline for i in nvda.news] == ["Nvidia unveils Rubin Ultra at GTC"]
    assert "Rubin Ultra" in nvda.news_summary and nvda.summary_source == "rules"
    assert "after-the-run" not in json.dumps(ctx.model_dump(mode="json"))
    assert alpaca.count("GET", "/v1beta1/news") >= 2  # the watchlist's, then the market's
    with sqlite3.connect(aws) as con:
        rows = dict(
            con.execute("SELECT symbol, news_summary FROM daily_bias WHERE date = '2026-03-16'")
        )
        feats = json.loads(
            con.execute("SELECT features FROM daily_bias WHERE symbol = 'NVDA'").fetchone()[0]
        )
    assert set(rows) == {"NVDA", "QQQ", "SPY"} and "Rubin Ultra" in rows["NVDA"]
    assert (feats["vix_close"], feats["vix_source"], feats["summary_source"]) == (
        vix,
        "cboe",
        "rules",
    )


def test_unreachable_vix_source_uses_spy_realized_volatility_and_says_so(
    aws: Path, real_bars, real_daily, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("ADVISOR_VIX_SOURCE_URL", closed_port_url())
    app = _app(real_bars, real_daily)
    out = app.lambda_handler(EVENT, FakeContext())
    assert out["status"] == "written" and out["vix_source"] == "spy-realized"
    m = _archived(app).market_context
    assert m.vix_source == "spy-realized" and m.vix_close is not None and 5 < m.vix_close < 80
    assert m.vix_note.startswith("fallback: cboe: ")


def test_without_alpaca_keys_the_context_says_there_is_no_news(
    aws: Path, real_bars, real_daily, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("ALPACA_API_KEY")
    app = _app(real_bars, real_daily)
    assert app.lambda_handler(EVENT, FakeContext())["status"] == "written"
    m = _archived(app).market_context
    assert m.news_count == 0 and m.news_note == "no news source (no Alpaca keys)"


def test_workflow_steps_share_one_vix_figure_and_compose_the_same_document(
    aws: Path, real_bars, real_daily, monkeypatch: pytest.MonkeyPatch
):
    with csv_server(cboe_csv(real_daily["VIX"])) as url:
        monkeypatch.setenv("ADVISOR_VIX_SOURCE_URL", url)
        app = _app(real_bars, real_daily)
        plan = app.lambda_handler({"step": "bias", **EVENT}, FakeContext())
        whole = app.lambda_handler(EVENT, FakeContext())
    assert plan["volatility"]["source"] == "cboe"
    # the later steps run with the source gone: they use the plan's figure, not a new fetch
    monkeypatch.setenv("ADVISOR_VIX_SOURCE_URL", closed_port_url())
    app = _app(real_bars, real_daily)
    common = {"session_date": plan["session_date"], "volatility": plan["volatility"]}
    parts = [
        app.lambda_handler({"step": "snapshot", "symbol": s, **common}, FakeContext())
        for s in plan["symbols"]
    ]
    persisted = app.lambda_handler({"step": "persist", "snapshots": parts, **common}, FakeContext())
    assert persisted["archive_key"] == whole["archive_key"] == KEY
    doc = load_premarket_context(persisted["context_json"].encode())
    assert doc.market_context.vix_source == "cboe"
    assert persisted["context_json"].encode() == app._container.archive.get(KEY)
