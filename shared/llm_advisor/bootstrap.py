"""The composition root: the one place that chooses adapters from the settings.

Handlers, the CLI and the local day ask ``Container`` for what they need; nothing else in
the package decides between DynamoDB and a folder, SQS and a list, S3 and a directory,
PostgreSQL and SQLite. Everything is built on first use and kept for the container's life
(a Lambda container serves many invocations), so a handler that never touches the broker
never reads the Alpaca secret.

``ADVISOR_RUNTIME=aws`` (set by template.yaml) selects the AWS adapters; anything else the
local ones under ``ADVISOR_LOCAL_DIR`` (default ``data/local``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llm_advisor.aws.secrets import postgres_url_from_secret
from llm_advisor.core.clock import Clock, SystemClock
from llm_advisor.core.config import (
    AppSettings,
    StrategyConfig,
    format_validation_error,
    settings_from_env,
    strategy_from_env,
)
from llm_advisor.core.errors import ConfigError, DataError
from llm_advisor.core.ports import BrokerPort, MarketDataPort, ObjectStorePort, StateStorePort
from llm_advisor.live.tick import (
    AnalysisDeps,
    PlanPublisher,
    PremarketSessionContext,
    SessionContext,
    TickDeps,
    context_archive_key,
)


class DeploySettings(BaseModel):
    """Where things are (names, secret ids); ``ADVISOR_*`` like the app settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    runtime: Literal["aws", "local"] = "local"
    local_dir: Path = Path("data/local")
    alpaca_secret_id: str = ""
    db_secret_id: str = ""
    db_host: str = ""
    db_name: str = "advisor"
    aws_endpoint_url: str | None = None
    run_id: str = "live"
    # How much history the premarket job fetches: the snapshot's EMAs start at the first
    # close they see, so the local day matches a replay only with the replay's history.
    premarket_minute_sessions: int = Field(10, ge=2, le=400)
    premarket_daily: Literal["feed", "minutes"] = "feed"


def deploy_settings_from_env(env: Mapping[str, str]) -> DeploySettings:
    values = {}
    names = {}
    for f in DeploySettings.model_fields:
        var = f"ADVISOR_{f.upper()}"
        names[f] = var
        if env.get(var):
            values[f] = env[var]
    try:
        return DeploySettings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(DeploySettings, exc, names)) from None


class Container:
    """Lazily built adapters for one process (one Lambda container)."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        source = dict(os.environ if env is None else env)
        self.settings: AppSettings = settings_from_env(source)
        self.config: StrategyConfig = strategy_from_env(source)
        self.deploy: DeploySettings = deploy_settings_from_env(source)
        self.clock: Clock = clock or SystemClock()
        # Tests and the local day inject ready-made adapters by attribute name.
        for name, value in (overrides or {}).items():
            self.__dict__[name] = value

    @property
    def aws(self) -> bool:
        return self.deploy.runtime == "aws"

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(sorted(self.settings.watchlist))

    # ------------------------------------------------------------ AWS-or-local stores
    @cached_property
    def secrets(self) -> Any:
        from llm_advisor.aws.secrets import SecretsReader

        return SecretsReader(self.settings.aws_region, endpoint_url=self.deploy.aws_endpoint_url)

    @cached_property
    def state(self) -> StateStorePort:
        if self.aws:
            from llm_advisor.aws.state_store import DynamoStateStore

            return DynamoStateStore(
                self.settings.state_table,
                self.settings.aws_region,
                endpoint_url=self.deploy.aws_endpoint_url,
                clock=self.clock,
            )
        from llm_advisor.local.stores import FileStateStore

        return FileStateStore(self.deploy.local_dir / "state")

    @cached_property
    def archive(self) -> ObjectStorePort:
        if self.aws:
            from llm_advisor.aws.object_store import S3ObjectStore

            return S3ObjectStore(
                self.settings.archive_bucket,
                region=self.settings.aws_region,
                endpoint_url=self.deploy.aws_endpoint_url,
            )
        from llm_advisor.local.stores import FolderObjectStore

        return FolderObjectStore(self.deploy.local_dir / "archive")

    @cached_property
    def plans(self) -> PlanPublisher:
        if self.aws:
            from llm_advisor.aws.plan_queue import SqsPlanPublisher

            return SqsPlanPublisher(
                self.settings.signal_queue_url,
                self.settings.aws_region,
                endpoint_url=self.deploy.aws_endpoint_url,
            )
        from llm_advisor.local.stores import MemoryPlanQueue

        return MemoryPlanQueue()

    @cached_property
    def db_url(self) -> str:
        if self.deploy.db_secret_id:
            secret = self.secrets.get_json(self.deploy.db_secret_id)
            return postgres_url_from_secret(secret, self.deploy.db_host, self.deploy.db_name)
        return self.settings.db_url

    @cached_property
    def repository(self) -> Any:
        from llm_advisor.storage.repository import open_repository

        url = self.db_url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return open_repository(url, migrate_schema=True)

    # ------------------------------------------------------------ broker and data
    @cached_property
    def alpaca_keys(self) -> Any:
        from llm_advisor.alpaca.keys import AlpacaKeys, keys_from_env

        if self.deploy.alpaca_secret_id:
            s = self.secrets.get_json(self.deploy.alpaca_secret_id)
            try:
                return AlpacaKeys(str(s["api_key"]), str(s["secret_key"]))
            except KeyError as exc:
                raise ConfigError(
                    f"secret {self.deploy.alpaca_secret_id!r} lacks {exc.args[0]!r}"
                ) from None
        return keys_from_env()

    @cached_property
    def market_data(self) -> MarketDataPort:
        from llm_advisor.alpaca.market_data import AlpacaMarketData

        return AlpacaMarketData.connect(
            self.alpaca_keys,
            feed=self.settings.alpaca_feed,
            url_override=self.settings.alpaca_url_override,
            clock=self.clock,
        )

    @cached_property
    def broker(self) -> BrokerPort:
        from llm_advisor.alpaca.broker import AlpacaBroker

        broker: BrokerPort = AlpacaBroker.connect(self.alpaca_keys, self.settings)
        return broker

    # ------------------------------------------------------------ premarket context
    def load_context(self, day: date) -> SessionContext | None:
        from llm_advisor.premarket.context import load_premarket_context

        body = self.archive.get(context_archive_key(day))
        if body is None:
            return None
        try:
            return PremarketSessionContext(load_premarket_context(body))
        except DataError:
            return None

    # ------------------------------------------------------------ analysis
    @cached_property
    def ledger(self) -> Any:
        """The LLM ledger in the trading database: calls outlive the container, and a new
        container's daily budget starts from what the day has already spent."""
        from llm_advisor.storage.llm_ledger import SqlLedger

        return SqlLedger(self.repository)

    @cached_property
    def analyst(self) -> Any:
        from llm_advisor.analysis.factory import make_analyst

        return make_analyst(
            self.settings.analyst, self.settings, self.config, self.ledger, self.clock
        )

    # ------------------------------------------------------------ service dependencies
    def tick_deps(self) -> TickDeps:
        return TickDeps(
            config=self.config,
            symbols=self.symbols,
            state=self.state,
            market_data=self.market_data,
            plans=self.plans,
            records=self.repository,
            context=self.load_context,
        )

    def analysis_deps(self) -> AnalysisDeps:
        from llm_advisor.analysis.factory import model_id_for

        return AnalysisDeps(
            config=self.config,
            state=self.state,
            analyst=self.analyst,
            records=self.repository,
            context=self.load_context,
            provider=self.settings.analyst,
            model=model_id_for(self.settings.analyst, self.settings),
        )
