"""The five Lambda functions loaded in-process, each in its own "container", and their settings.

Why this exists: a day driven through ``functions/<name>/app.py`` is the proof that the
deployment trades like the replay, so each handler is loaded from its file as its own module
(its own settings, clients and connections, like one function's container) and invoked with
a Lambda-shaped context. ``_env`` is the environment the template gives the functions, built
explicitly so a caller's ``.env`` (real keys, a production database) never leaks in.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from llm_advisor.core.clock import ManualClock
from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import UserError
from llm_advisor.local.moto_aws import ALPACA_SECRET, BUCKET, REGION, TABLE
from llm_advisor.local.result import local_run_id

FUNCTIONS = ("premarket", "live_tick", "market_analysis", "trade_executor", "position_monitor")
REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class _LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def load_handler(name: str) -> ModuleType:
    """``functions/<name>/app.py`` as its own module, like one Lambda function's container."""
    path = REPO_ROOT / "functions" / name / "app.py"
    if not path.is_file():
        raise UserError(f"handler {name!r} not found at {path} (run from a clone of the repo)")
    spec = importlib.util.spec_from_file_location(f"local_day_{name}_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Handlers:
    """The five functions, each with its own container (settings, clients, connections)."""

    def __init__(
        self,
        env: Mapping[str, str],
        config: StrategyConfig,
        clock: ManualClock,
        notifier: Any = None,
    ):
        from llm_advisor.bootstrap import Container

        overrides: dict[str, Any] = {"config": config}
        if notifier is not None:  # one list of the day's alerts across the five containers
            overrides["notifier"] = notifier

        self.modules: dict[str, ModuleType] = {}
        self.calls: Counter[str] = Counter()
        for name in FUNCTIONS:
            module = load_handler(name)
            # The handler's per-container cache, filled the way its ``container()`` would,
            # but with the manual clock.
            vars(module)["_container"] = Container(env, clock=clock, overrides=overrides)
            self.modules[name] = module

    def container(self, name: str) -> Any:
        return vars(self.modules[name])["_container"]

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        self.calls[name] += 1
        ctx = _LambdaContext(f"llm-advisor-{name}", aws_request_id=f"{name}-{self.calls[name]}")
        # Powertools prints each invocation's metrics (EMF) to stdout: keep the report readable.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no metrics to publish"
            out: dict[str, Any] = self.modules[name].lambda_handler(event, ctx)
        return out

    def close(self) -> None:
        for module in self.modules.values():
            repo = vars(module)["_container"].__dict__.get("repository")
            close = getattr(repo, "close", None)
            if callable(close):
                close()


def _env(
    day: date,
    symbols: Sequence[str],
    analyst: str,
    db_url: str,
    queue_url: str,
    alpaca_url: str,
    history_sessions: int,
) -> dict[str, str]:
    return {
        "ADVISOR_RUNTIME": "aws",
        "ADVISOR_WATCHLIST": ",".join(symbols),
        "ADVISOR_ANALYST": analyst,
        "ADVISOR_STATE_TABLE": TABLE,
        "ADVISOR_SIGNAL_QUEUE_URL": queue_url,
        "ADVISOR_ARCHIVE_BUCKET": BUCKET,
        "ADVISOR_AWS_REGION": REGION,
        "ADVISOR_DB_URL": db_url,
        "ADVISOR_ALPACA_SECRET_ID": ALPACA_SECRET,
        "ADVISOR_ALPACA_URL_OVERRIDE": alpaca_url,
        "ADVISOR_ALPACA_FEED": "iex",
        "ADVISOR_PREMARKET_MINUTE_SESSIONS": str(max(2, history_sessions)),
        "ADVISOR_PREMARKET_DAILY": "minutes",
        # The stand-in has every bar of a minute before its tick: a thin name's gap is a
        # minute it did not trade, not a late bar, so no wait and no held minute.
        "ADVISOR_BAR_WAIT_SECONDS": "0",
        "ADVISOR_RUN_ID": local_run_id(day),
        "ADVISOR_RUN_KIND": "local",
        "ADVISOR_RUN_LABEL": f"local day {day.isoformat()} ({analyst} analyst)",
    }
