"""The composition root: the one place that chooses adapters from the settings.

Handlers, the CLI and the local day ask ``Container`` for what they need; nothing else in
the package decides between DynamoDB and a folder, SQS and a list, S3 and a directory,
PostgreSQL and SQLite. Everything is built on first use and kept for the container's life
(a Lambda container serves many invocations), so a handler that never touches the broker
never reads the Alpaca secret.

``ADVISOR_RUNTIME=aws`` (set by template.yaml) selects the AWS adapters; anything else the
local ones under ``ADVISOR_LOCAL_DIR`` (default ``data/local``). Settings come from
``load_environment``: in a Lambda the process environment only, elsewhere ``.env`` too.
"""

from __future__ import annotations

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
    load_environment,
    settings_from_env,
    strategy_from_env,
)
from llm_advisor.core.errors import ConfigError, DataError
from llm_advisor.core.ports import (
    BrokerPort,
    MarketDataPort,
    NotifierPort,
    ObjectStorePort,
    StateStorePort,
)
from llm_advisor.live.bars import BarWait
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
    # The run every record of this process belongs to. The deployed account keeps 'live'
    # (its data predates runs); its kind follows ADVISOR_ALPACA_PAPER unless run_kind says
    # otherwise ('local' for the simulated day, which also takes its own run_id).
    run_id: str = Field("live", pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
    run_kind: Literal["live", "paper", "local"] | None = None
    run_label: str = Field("", max_length=200)
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
        source = dict(load_environment(env))  # env given: exactly it (tests, local day)
        self.env: Mapping[str, str] = source
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

    @property
    def run_kind(self) -> Literal["live", "paper", "local"]:
        """``paper`` or ``live`` by the broker setting, unless the deployment names it."""
        if self.deploy.run_kind is not None:
            return self.deploy.run_kind
        return "paper" if self.settings.alpaca_paper else "live"

    @cached_property
    def repository(self) -> Any:
        """The database, scoped to this process's run: every write lands in
        ``deploy.run_id`` and the run exists (kind and label set) before the first one."""
        from llm_advisor.storage.repository import open_repository

        url = self.db_url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        repo = open_repository(url, migrate_schema=True).scoped(self.deploy.run_id)
        kind = self.run_kind
        label = self.deploy.run_label or f"Alpaca {kind} account"
        repo.ensure_run(self.deploy.run_id, kind, label, self.clock.now())
        return repo

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
        return keys_from_env(self.env)

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
    def news_source(self) -> Any:
        """Alpaca's news API with the market data keys; None without keys (premarket then
        runs without news and says so in the context)."""
        from llm_advisor.premarket.news.alpaca import AlpacaNewsSource

        try:
            keys = self.alpaca_keys
        except ConfigError:
            return None
        return AlpacaNewsSource(
            keys.api_key, keys.secret_key, url_override=self.settings.alpaca_url_override
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
    def analyst_chain(self) -> str:
        """The analyst chain that can run here. A provider whose credentials are missing is
        one logged error and is skipped, so the rest of the chain answers; a chain with no
        usable member is a ConfigError (the handler fails visibly, every invocation)."""
        import logging

        from llm_advisor.analysis.providers import chain_text, resolve_chain

        resolved = resolve_chain(self.settings.analyst, self.env)
        if resolved.skipped:
            logging.getLogger("llm_advisor.bootstrap").error(resolved.note())
        return chain_text(resolved.usable)

    @cached_property
    def validator_chain(self) -> str:
        """The trade validator's chain: ``ADVISOR_VALIDATOR``, or (empty, the default) the
        analyst's chain as it resolved here (``rules`` without LLM credentials)."""
        import logging

        from llm_advisor.analysis.providers import chain_text, resolve_chain

        if not self.settings.validator:
            return self.analyst_chain
        resolved = resolve_chain(self.settings.validator, self.env, role="validator")
        if resolved.skipped:
            logging.getLogger("llm_advisor.bootstrap").error(resolved.note("validator"))
        return chain_text(resolved.usable)

    @cached_property
    def llms(self) -> dict[str, Any]:
        """One guarded client per LLM provider of the analyst and validator chains, shared
        by both roles: one daily budget, one breaker and rate limiter per provider."""
        from llm_advisor.analysis.factory import make_llms
        from llm_advisor.analysis.providers import parse_chain

        names = parse_chain(self.analyst_chain)
        if self.config.validation_enabled:
            names = (*names, *(n for n in parse_chain(self.validator_chain) if n not in names))
        return make_llms(names, self.settings, self.ledger, self.clock, env=self.env)

    @cached_property
    def analyst(self) -> Any:
        from llm_advisor.analysis.factory import make_analyst

        return make_analyst(
            self.analyst_chain,
            self.settings,
            self.config,
            self.ledger,
            self.clock,
            llm=self.llms,
            env=self.env,
        )

    @cached_property
    def validator(self) -> Any:
        """The tick's trade validator (None when ``ADVISOR_VALIDATION_ENABLED=false``)."""
        from llm_advisor.analysis.factory import make_validator

        return make_validator(
            self.validator_chain,
            self.settings,
            self.config,
            self.ledger,
            self.clock,
            llm=self.llms,
            env=self.env,
        )

    # ------------------------------------------------------------ status and alerts
    @cached_property
    def notifier(self) -> NotifierPort:
        """SNS when deployed with a topic (``ADVISOR_ALERT_TOPIC_ARN``), else one stderr line
        per alert (the local day and ``live --paper`` override it to keep a list)."""
        if self.aws and self.settings.alert_topic_arn:
            from llm_advisor.notify.adapters import SnsNotifier

            return SnsNotifier(
                self.settings.alert_topic_arn,
                self.settings.aws_region,
                endpoint_url=self.deploy.aws_endpoint_url,
            )
        from llm_advisor.notify.adapters import PrintingNotifier

        return PrintingNotifier()

    @cached_property
    def watch(self) -> Any:
        """Heartbeats and alerts around the services' results (``notify/watch.py``)."""
        from llm_advisor.notify.store import LoopStatusStore
        from llm_advisor.notify.watch import Watch

        return Watch(
            store=lambda: LoopStatusStore.of(self.repository),
            notifier=self.notifier,
            config=self.config,
            bad_bars_threshold=self.settings.alert_bad_bars,
        )

    @cached_property
    def queue_depths(self) -> Any:
        """The plan queue's and DLQ's depths (SQS in AWS; nothing to read locally)."""
        if self.aws and (self.settings.signal_queue_url or self.settings.signal_dlq_url):
            from llm_advisor.notify.queues import SqsDepthReader

            return SqsDepthReader(
                self.settings.signal_queue_url,
                self.settings.signal_dlq_url,
                self.settings.aws_region,
                self.deploy.aws_endpoint_url,
            )
        from llm_advisor.notify.queues import NoQueues

        return NoQueues()

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
            validator=self.validator,
            # Read when a session begins (the broker is built then, not before).
            account=lambda: self.broker.account(),  # noqa: PLW0108 - lazy broker
            max_sizing_equity=self.settings.max_sizing_equity,
            bar_wait=self.bar_wait,
            minute_log_retention_days=self.settings.minute_log_retention_days,
        )

    @property
    def bar_wait(self) -> BarWait | None:
        """The live tick's wait for late bars: real sleep and monotonic time (the only place
        they are chosen); None when ``ADVISOR_BAR_WAIT_SECONDS=0``."""
        import time

        seconds = self.settings.bar_wait_seconds
        return BarWait(seconds, time.sleep, time.monotonic) if seconds > 0 else None

    def analysis_deps(self) -> AnalysisDeps:
        from llm_advisor.analysis.factory import model_id_for

        return AnalysisDeps(
            config=self.config,
            state=self.state,
            analyst=self.analyst,
            records=self.repository,
            context=self.load_context,
            provider=self.analyst_chain,
            model=model_id_for(self.analyst_chain, self.settings),
        )
