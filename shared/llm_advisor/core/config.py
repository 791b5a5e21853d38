"""Strategy configuration and application settings, validated once at start-up.

Every number of ``spec/strategy.md`` is a field here with its allowed range, so a typo in an
environment variable or a ``--set key=value`` fails at start with the variable's name, its
value and the range instead of trading with a silly threshold. ``StrategyConfig`` is frozen
and rejects unknown keys: it is part of a run's identity (its hash is stored with each run).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from llm_advisor.core.errors import ConfigError

ENV_PREFIX = "ADVISOR_"
DEFAULT_WATCHLIST = ("SPY", "QQQ", "IWM", "NVDA", "TSLA")
LIVE_CONFIRMATION = "I-UNDERSTAND-THIS-IS-REAL-MONEY"


def _range_text(info: Mapping[str, Any]) -> str:
    lo = info.get("ge", info.get("gt"))
    hi = info.get("le", info.get("lt"))
    if lo is not None and hi is not None:
        return f"{lo}..{hi}"
    if lo is not None:
        return f">= {lo}" if "ge" in info else f"> {lo}"
    if hi is not None:
        return f"<= {hi}" if "le" in info else f"< {hi}"
    return ""


def format_validation_error(
    model: type[BaseModel], err: ValidationError, source_names: Mapping[str, str] | None = None
) -> str:
    """One line per problem: which variable, which value, what is allowed."""
    lines = []
    for e in err.errors():
        if not e["loc"]:
            # a rule across fields: its message names them; the whole input is noise
            lines.append(str(e["msg"]).removeprefix("Value error, "))
            continue
        loc = ".".join(str(p) for p in e["loc"])
        top = str(e["loc"][0]) if e["loc"] else ""
        name = (source_names or {}).get(top, loc)
        value = e.get("input")
        allowed = ""
        field = model.model_fields.get(top)
        if field is not None:
            bounds: dict[str, Any] = {}
            for m in field.metadata:
                for key in ("ge", "gt", "le", "lt"):
                    if getattr(m, key, None) is not None:
                        bounds[key] = getattr(m, key)
            rng = _range_text(bounds)
            if rng:
                allowed = f"; allowed range {rng}"
            if field.description:
                allowed += f" ({field.description})"
        lines.append(f"{name}={value!r}: {e['msg']}{allowed}")
    return "; ".join(lines)


def _parse_hhmm(v: Any) -> Any:
    if isinstance(v, str):
        try:
            parts = v.strip().split(":")
            if len(parts) not in (2, 3):
                raise ValueError(v)
            return time(int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) == 3 else 0)
        except ValueError as exc:
            raise ValueError(f"expected HH:MM, got {v!r}") from exc
    return v


class StrategyConfig(BaseModel):
    """The STDEV strategy's parameters (spec v1.1 defaults). Times are America/New_York."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Features
    rolling_window: int = Field(120, ge=10, le=2000, description="W, one-minute closes")
    min_periods: int = Field(60, ge=2, le=2000, description="closes before z is defined")
    sigma_epsilon: float = Field(
        1e-9, ge=0, le=1e-3, description="z undefined if sigma <= eps*|mu|"
    )
    atr_period: int = Field(14, ge=2, le=100)
    ema_span: int = Field(20, ge=2, le=500)
    band_bars_5m: int = Field(120, ge=14, le=2000, description="five-minute bars in the bands")
    # Thresholds
    mr_arm_z: float = Field(1.2, gt=0, le=10)
    mr_trigger_z: float = Field(0.6, ge=0, le=10)
    tc_arm_z: float = Field(1.8, gt=0, le=10)
    tc_trigger_z: float = Field(0.6, ge=0, le=10)
    mr_abort_z: float = Field(3.0, gt=0, le=20)
    multiplier_min: float = Field(0.5, gt=0, le=1)
    multiplier_max: float = Field(1.5, ge=1, le=5)
    # Risk and sizing
    atr_multiplier_sl: float = Field(1.4, gt=0, le=20)
    min_rr_ratio: float = Field(1.5, gt=0, le=20)
    max_risk_per_trade: float = Field(1.0, gt=0, le=5, description="percent of equity")
    max_position_pct: float = Field(25.0, gt=0, le=100, description="percent of equity")
    atr_percentile_cap: float = Field(85.0, ge=0, le=100)
    buying_power_multiplier: float = Field(4.0, gt=0, le=10)
    daily_loss_limit_pct: float = Field(
        2.0, gt=0, le=100, description="percent of start-of-day equity"
    )
    max_open_positions: int = Field(5, ge=1, le=1000)
    risk_budget_check: bool = Field(
        False, description="reject entries whose risk to the stops could breach the daily limit"
    )
    # Timers
    arm_timeout_bars: int = Field(30, ge=1, le=390)
    cooldown_bars: int = Field(5, ge=1, le=390)
    max_trades_per_symbol: int = Field(3, ge=1, le=100)
    # Session
    trading_window_start: time = time(9, 30)
    trading_window_end: time = time(12, 0)
    end_of_day_close_time: time = time(15, 50)
    # Analysis
    analysis_interval_minutes: int = Field(15, ge=5, le=60, description="minutes")
    analysis_first_time: time = time(9, 45)
    # Broker simulation
    starting_equity: float = Field(100_000.0, gt=0, le=1e12)
    slippage_bps: float = Field(0.0, ge=0, le=500)
    commission_per_share: float = Field(0.0, ge=0, le=1)
    # Trade validation: on (the plan). It runs only where a driver has a validator: the live
    # tick, ``live --paper`` and the local day (ADVISOR_VALIDATOR, default the analyst's
    # chain); a plain replay has none unless asked (``replay --validator NAME``).
    validation_enabled: bool = True
    validation_failure_policy: Literal["allow", "reject"] = "allow"

    _times = field_validator(
        "trading_window_start",
        "trading_window_end",
        "end_of_day_close_time",
        "analysis_first_time",
        mode="before",
    )(_parse_hhmm)

    @model_validator(mode="after")
    def _consistent(self) -> StrategyConfig:
        if self.min_periods > self.rolling_window:
            raise ValueError(
                f"min_periods={self.min_periods} must be <= rolling_window={self.rolling_window}"
            )
        if self.trading_window_start >= self.trading_window_end:
            raise ValueError("trading_window_start must be before trading_window_end")
        if not (self.mr_trigger_z < self.mr_arm_z < self.mr_abort_z):
            raise ValueError("need mr_trigger_z < mr_arm_z < mr_abort_z")
        self._risk_settings_can_work()
        return self

    def _risk_settings_can_work(self) -> None:
        """Refuse risk settings that contradict each other, before a single trade is made.

        A daily loss limit below one trade's planned risk is breached by that trade alone
        at its own stop (issue 11: 0.1 % with 1 % per trade overshot by 277 %). A position
        cap below the per-trade risk makes that risk unreachable: a long cannot lose more
        than its notional, so ``max_risk_per_trade`` would be a number that does nothing.
        """
        if self.daily_loss_limit_pct < self.max_risk_per_trade:
            raise ValueError(
                f"daily_loss_limit_pct={self.daily_loss_limit_pct} is below "
                f"max_risk_per_trade={self.max_risk_per_trade}: one trade stopped out would "
                "breach the daily limit; raise the limit or lower the risk per trade"
            )
        if self.max_position_pct < self.max_risk_per_trade:
            raise ValueError(
                f"max_position_pct={self.max_position_pct} is below "
                f"max_risk_per_trade={self.max_risk_per_trade}: a position capped at that "
                "share of equity can never risk that much; lower max_risk_per_trade"
            )
        if self.end_of_day_close_time < self.trading_window_end:
            raise ValueError(
                f"end_of_day_close_time={self.end_of_day_close_time:%H:%M} is before "
                f"trading_window_end={self.trading_window_end:%H:%M}: entries signalled "
                "after the flatten would be cancelled before they fill"
            )

    def config_hash(self) -> str:
        """Stable short hash of every parameter: identifies a run's configuration."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def with_overrides(self, overrides: Mapping[str, str]) -> StrategyConfig:
        """Apply ``--set key=value`` overrides; unknown keys and bad values are ConfigErrors."""
        unknown = sorted(k for k in overrides if k not in type(self).model_fields)
        if unknown:
            raise ConfigError(
                f"unknown strategy setting(s) {', '.join(unknown)}; known: "
                + ", ".join(sorted(type(self).model_fields))
            )
        data = self.model_dump()
        data.update(overrides)
        try:
            return type(self).model_validate(data)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(type(self), exc)) from None


def parse_set_args(items: list[str] | None) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}`` with a clear error for a missing '='."""
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def read_dotenv(path: Path) -> dict[str, str]:
    """Minimal .env reader (KEY=VALUE lines, # comments, optional quotes, ``export``)."""
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        k = k.strip().removeprefix("export ").strip()
        out[k] = v.strip().strip("'\"")
    return out


AWS_MARKERS = ("AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV")
_DOTENV_CACHE: dict[Path, tuple[tuple[int, int, int], dict[str, str]]] = {}


def in_aws(env: Mapping[str, str]) -> bool:
    """True inside a Lambda (or another AWS runtime that sets these): no ``.env`` there."""
    return any(env.get(name) for name in AWS_MARKERS)


def _dotenv_cached(path: Path) -> dict[str, str]:
    """``read_dotenv`` once per file version: every settings read in a process is cheap, and
    an edited ``.env`` (a test writing one, a long-running loop) is picked up."""
    try:
        st = path.stat()
    except OSError:
        return {}
    key = path.resolve()
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    hit = _DOTENV_CACHE.get(key)
    if hit is None or hit[0] != stamp:
        hit = (stamp, read_dotenv(path))
        _DOTENV_CACHE[key] = hit
    return dict(hit[1])


def load_environment(
    env: Mapping[str, str] | None = None, dotenv: Path | None = None
) -> Mapping[str, str]:
    """THE settings reader: every entry point (CLI, ``live --paper``, the Lambdas' container,
    the local day, scripts/invoke.py) gets its variables here and nowhere else.

    - ``env`` given: exactly that mapping (tests, the local day's hermetic handlers);
    - otherwise the process environment, and, outside AWS (no ``AWS_LAMBDA_FUNCTION_NAME`` /
      ``AWS_EXECUTION_ENV``), ``.env`` in the working directory (or ``dotenv``) under it: a
      variable set in the process wins over the same one in ``.env``. A Lambda never reads a
      file that happens to be in its package, so its settings are the template's alone.

    The process environment is read on every call (``scripts/invoke.py`` and the local day
    set variables as they go); only the parsed ``.env`` is cached, per file version.
    """
    if env is not None:
        return dict(env)
    process = dict(os.environ)
    if in_aws(process):
        return process
    merged = _dotenv_cached(Path(".env") if dotenv is None else dotenv)
    merged.update(process)
    return merged


def strategy_from_env(env: Mapping[str, str] | None = None) -> StrategyConfig:
    """Build the strategy config from ``ADVISOR_<FIELD>`` variables (``load_environment``)."""
    env = load_environment(env)
    values: dict[str, str] = {}
    names: dict[str, str] = {}
    for field in StrategyConfig.model_fields:
        var = ENV_PREFIX + field.upper()
        names[field] = var
        if var in env:
            values[field] = env[var]
    try:
        return StrategyConfig.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(StrategyConfig, exc, names)) from None


class AppSettings(BaseModel):
    """Application settings (adapters, endpoints, names) from ``ADVISOR_*`` variables."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    watchlist: tuple[str, ...] = DEFAULT_WATCHLIST
    # a provider or fallback chain ("bedrock,anthropic,neutral"): analysis/providers.py
    analyst: str = "rules"
    # empty: the analyst's chain (``rules`` by default, offline and free); asked about every
    # signal that passed the risk guards when ADVISOR_VALIDATION_ENABLED (default true)
    validator: str = ""
    bedrock_model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    anthropic_model: str = "claude-haiku-4-5"
    openai_model: str = "gpt-4.1-mini"
    aws_region: str = "us-east-1"
    db_url: str = "sqlite:///data/llm_advisor.sqlite3"
    alpaca_paper: bool = True
    alpaca_live_confirm: str = ""
    alpaca_feed: Literal["iex", "sip"] = "iex"
    alpaca_url_override: str | None = None
    state_table: str = "llm-advisor-state"
    signal_queue_url: str = ""
    archive_bucket: str = ""
    llm_daily_budget_usd: float = Field(1.0, ge=0, le=1000, description="US dollars per day")
    # An LLM multiplier outside [min, max] (or non-finite) makes the whole answer invalid
    # (neutral advice), instead of being clamped to the most extreme allowed value.
    llm_plausible_min: float = Field(
        0.25, gt=0, lt=1, description="smallest believable LLM multiplier (0 < min < 1)"
    )
    llm_plausible_max: float = Field(
        4.0, gt=1, le=100, description="largest believable LLM multiplier (1 < max <= 100)"
    )
    # Live sizing equity is the broker's (start-of-day equity + today's realized P/L); this
    # optional ceiling lets a large account trade the strategy at a smaller size.
    max_sizing_equity: Decimal | None = Field(
        None, gt=0, le=10**12, description="US dollars; caps the broker equity used for sizing"
    )
    # A plan older than this (from its signal bar's close to the executor's clock) is refused:
    # placed at the market minutes late it fills far from the price the signal saw.
    max_plan_age_seconds: int = Field(
        90, ge=10, le=600, description="seconds from the signal bar's close to the order"
    )
    # The live tick waits up to this long for last-minute bars the feed publishes late, then
    # leaves that minute for the next tick (live/bars.py). 0: no wait, no held minute.
    bar_wait_seconds: float = Field(
        5.0, ge=0, le=30, description="seconds the live tick waits for the last minute's bars"
    )
    # The per-minute log (live_loop_minutes) keeps this many days of the run's rows; the
    # session's last tick deletes older ones (bounded). 0: keep forever.
    minute_log_retention_days: int = Field(
        30, ge=0, le=36500, description="days of per-minute log kept; 0 keeps every row"
    )
    # Premarket's VIX history CSV, fetched with this timeout (premarket/volatility.py). The
    # template sets CBOE's; "" (the default, so tests and offline runs never reach out): no
    # index, SPY's realised volatility is the figure, labelled "spy-realized".
    vix_source_url: str = ""
    vix_timeout_seconds: float = Field(5.0, gt=0, le=30, description="seconds")
    # The LLM premarket paragraph: "auto" writes it when the analyst is an LLM, "off" never.
    premarket_llm: Literal["auto", "off"] = "auto"
    # Alerts (notify/): the SNS topic in AWS ("" locally: one stderr line per alert), the
    # signal DLQ whose depth the monitor reads, and how many bad or late bars in one tick
    # make an alert (0: never).
    alert_topic_arn: str = ""
    signal_dlq_url: str = ""
    alert_bad_bars: int = Field(
        5, ge=0, le=100_000, description="bad or late bars in one tick that raise an alert"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("max_sizing_equity", mode="before")
    @classmethod
    def _blank_is_unset(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("analyst", "validator")
    @classmethod
    def _chain(cls, v: str, info: Any) -> str:
        from pydantic_core import PydanticCustomError

        from llm_advisor.core.providers import chain_text, parse_chain

        if info.field_name == "validator" and not v.strip():
            return ""
        try:
            return chain_text(parse_chain(v))
        except ValueError as exc:  # no "Value error, " prefix in the one-line message
            raise PydanticCustomError("provider_chain", "{why}", {"why": str(exc)}) from None

    @field_validator("watchlist", mode="before")
    @classmethod
    def _split_watchlist(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [s for s in (p.strip().upper() for p in v.split(",")) if s]
        return v

    @field_validator("watchlist")
    @classmethod
    def _symbols_ok(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from llm_advisor.core.models import validate_symbol

        if not v:
            raise ValueError("watchlist is empty")
        return tuple(validate_symbol(s) for s in v)

    @model_validator(mode="after")
    def _live_needs_confirmation(self) -> AppSettings:
        if not self.alpaca_paper and self.alpaca_live_confirm != LIVE_CONFIRMATION:
            raise ValueError(
                f"ADVISOR_ALPACA_PAPER=false needs ADVISOR_ALPACA_LIVE_CONFIRM={LIVE_CONFIRMATION}"
            )
        return self


def settings_from_env(env: Mapping[str, str] | None = None) -> AppSettings:
    """Read ``AppSettings`` from ``load_environment`` (``.env`` included outside AWS)."""
    env = load_environment(env)
    values: dict[str, str] = {}
    names: dict[str, str] = {}
    for field in AppSettings.model_fields:
        var = ENV_PREFIX + field.upper()
        names[field] = var
        if var in env:
            values[field] = env[var]
    try:
        return AppSettings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(AppSettings, exc, names)) from None
