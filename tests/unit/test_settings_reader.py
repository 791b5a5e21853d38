"""One settings reader (issue 12): the process environment over ``.env``, and no ``.env`` in
AWS. Every entry point goes through ``load_environment``, so a key in ``.env`` works for
``live --paper`` as docs/alpaca.md says, and ``db`` reads the same ``ADVISOR_DB_URL``."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from llm_advisor.core.config import (
    DEFAULT_WATCHLIST,
    load_environment,
    settings_from_env,
    strategy_from_env,
)
from llm_advisor.core.errors import ConfigError


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory of its own, and no setting inherited from the test process."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("ADVISOR_", "ALPACA_", "APCA_", "LLM_ADVISOR_DB")) or name in (
            "AWS_LAMBDA_FUNCTION_NAME",
            "AWS_EXECUTION_ENV",
        ):
            monkeypatch.delenv(name)
    return tmp_path


def _dotenv(where: Path, **values: str) -> None:
    lines = ["# written by the test", *(f"{k}={v}" for k, v in values.items())]
    (where / ".env").write_text("\n".join(lines) + "\n")


def test_process_environment_wins_over_dotenv(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dotenv(workdir, ADVISOR_WATCHLIST="AAA", ADVISOR_ANALYST="neutral")
    monkeypatch.setenv("ADVISOR_WATCHLIST", "BBB")
    env = load_environment()
    assert (env["ADVISOR_WATCHLIST"], env["ADVISOR_ANALYST"]) == ("BBB", "neutral")
    assert settings_from_env().watchlist == ("BBB",)
    assert load_environment({"X": "1"}) == {"X": "1"}  # explicit: exactly that mapping


def test_an_edited_dotenv_is_read_again(workdir: Path) -> None:
    _dotenv(workdir, ADVISOR_ANALYST="neutral")
    assert load_environment()["ADVISOR_ANALYST"] == "neutral"
    _dotenv(workdir, ADVISOR_ANALYST="rules", ADVISOR_MR_ARM_Z="1.4")
    assert load_environment()["ADVISOR_ANALYST"] == "rules"
    assert strategy_from_env().mr_arm_z == 1.4


@pytest.mark.parametrize("marker", ["AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV"])
def test_no_dotenv_inside_aws(workdir: Path, monkeypatch: pytest.MonkeyPatch, marker: str) -> None:
    _dotenv(workdir, ADVISOR_WATCHLIST="AAA")
    monkeypatch.setenv(marker, "llm-advisor-live-tick")
    assert "ADVISOR_WATCHLIST" not in load_environment()


def test_alpaca_keys_come_from_dotenv(workdir: Path) -> None:
    from llm_advisor.alpaca.keys import keys_from_env

    with pytest.raises(ConfigError, match="ALPACA_API_KEY is not set"):
        keys_from_env()
    _dotenv(workdir, ALPACA_API_KEY="PKDOTENV", ALPACA_SECRET_KEY="s3cret")
    keys = keys_from_env()
    assert (keys.api_key, keys.secret_key) == ("PKDOTENV", "s3cret")


def test_a_lambda_container_does_not_read_dotenv(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llm_advisor.bootstrap import Container

    _dotenv(workdir, ADVISOR_WATCHLIST="ZZZ", ALPACA_API_KEY="PK", ALPACA_SECRET_KEY="S")
    assert Container().settings.watchlist == ("ZZZ",)  # a local process reads it
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "llm-advisor-live-tick")
    lam = Container()
    assert lam.settings.watchlist == DEFAULT_WATCHLIST
    with pytest.raises(ConfigError, match="ALPACA_API_KEY"):
        lam.alpaca_keys  # noqa: B018 - the keys in .env are not the Lambda's


def test_max_sizing_equity_is_validated(workdir: Path) -> None:
    assert settings_from_env().max_sizing_equity is None
    _dotenv(workdir, ADVISOR_MAX_SIZING_EQUITY="25000")
    assert str(settings_from_env().max_sizing_equity) == "25000"
    assert settings_from_env({"ADVISOR_MAX_SIZING_EQUITY": ""}).max_sizing_equity is None
    with pytest.raises(ConfigError, match=r"^ADVISOR_MAX_SIZING_EQUITY='-5': .*greater than 0"):
        settings_from_env({"ADVISOR_MAX_SIZING_EQUITY": "-5"})


def test_db_command_reads_advisor_db_url_only(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from llm_advisor.__main__ import main

    _dotenv(workdir, ADVISOR_DB_URL=f"sqlite:///{workdir / 'from-dotenv.sqlite3'}")
    monkeypatch.setenv("LLM_ADVISOR_DB_URL", f"sqlite:///{workdir / 'old-name.sqlite3'}")
    assert main(["db", "migrate"]) == 0
    assert (workdir / "from-dotenv.sqlite3").exists()
    assert not (workdir / "old-name.sqlite3").exists()
    assert "schema" in capsys.readouterr().out


def test_api_settings_read_dotenv(workdir: Path) -> None:
    from llm_advisor.api.settings import ApiSettings

    _dotenv(workdir, ADVISOR_DB_URL="sqlite:///api.sqlite3")
    assert ApiSettings.from_env().db_url == "sqlite:///api.sqlite3"


def test_live_paper_starts_with_the_keys_only_in_dotenv(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``live --paper`` against the local Alpaca stand-in, keys in ``.env`` and nowhere else:
    it connects, reconciles, runs one minute and stops cleanly on SIGINT."""
    import llm_advisor.cli.live as live_mod
    from llm_advisor.__main__ import main
    from llm_advisor.core.clock import ManualClock
    from llm_advisor.standins.alpaca_server import AlpacaStandIn

    now = datetime(2024, 1, 3, 14, 35, 5, tzinfo=UTC)  # a session minute, 09:35 New York
    clock = ManualClock(now)
    standin = AlpacaStandIn(clock=clock).start()
    try:
        _dotenv(
            workdir,
            ALPACA_API_KEY=standin.api_key,
            ALPACA_SECRET_KEY=standin.secret_key,
            ADVISOR_ALPACA_URL_OVERRIDE=standin.url,
            ADVISOR_WATCHLIST="SPY",
            ADVISOR_DB_URL=f"sqlite:///{workdir / 'live.sqlite3'}",
            ADVISOR_LOCAL_DIR=str(workdir / "local"),
        )
        handlers: dict[int, Callable[[int, object], None]] = {}
        monkeypatch.setattr(signal, "signal", handlers.__setitem__)
        monkeypatch.setattr(live_mod, "SystemClock", lambda: clock)
        steps: list[dict[str, Any]] = []
        real_step = live_mod.PaperLoop.step

        def one_step(self: Any, at: datetime) -> dict[str, Any]:
            out = real_step(self, at)
            steps.append(out)
            handlers[signal.SIGINT](signal.SIGINT, None)  # Ctrl-C after the first minute
            return out

        monkeypatch.setattr(live_mod.PaperLoop, "step", one_step)
        assert main(["live", "--paper", "--lag-seconds", "0"]) == 0
    finally:
        standin.stop()
    assert len(steps) == 1
    assert steps[0]["tick"]["status"] == "no_context"  # no premarket context in this folder
    assert standin.count("GET", "/v2/account") >= 1  # it talked to the broker with .env keys
