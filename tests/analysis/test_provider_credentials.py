"""Fail fast: a provider whose credentials (or ledger) are missing stops the run at start with
one line, unless the chain goes on to a provider that works, which is then said once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from llm_advisor.analysis.providers import (
    PROVIDER_NAMES,
    PROVIDERS,
    chain_pattern,
    parse_chain,
    resolve_chain,
)
from llm_advisor.bootstrap import Container
from llm_advisor.core.config import AppSettings, settings_from_env
from llm_advisor.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS credentials anywhere boto3 looks (environment, shared files, instance role)."""
    for var in list(os.environ):
        if var.startswith("AWS_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_one_list_of_names_everywhere() -> None:
    assert set(PROVIDER_NAMES) == {
        "rules",
        "neutral",
        "bedrock",
        "bedrock-converse",
        "anthropic",
        "openai",
        "replay",
    }
    for name in PROVIDER_NAMES:
        assert settings_from_env({"ADVISOR_ANALYST": name}).analyst == name
        assert name in chain_pattern()
    assert (
        AppSettings(analyst=" Bedrock , anthropic,NEUTRAL").analyst == "bedrock,anthropic,neutral"
    )
    for p in PROVIDERS.values():
        assert (p.build is None) == (p.kind != "llm"), p.name
        assert (p.model_setting is None) or p.model_setting in AppSettings.model_fields


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("gpt", "unknown provider 'gpt'"),
        ("rules,bedrock", "rules always answers"),
        ("bedrock,anthropic,bedrock", "bedrock appears twice"),
        ("replay,neutral", "cannot be chained"),
        ("", "empty"),
    ],
)
def test_bad_chains_are_one_line_naming_the_variable(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_chain(text)
    value = text or ","  # an empty ADVISOR_VALIDATOR means "the analyst's chain"
    with pytest.raises(ConfigError, match=f"^ADVISOR_VALIDATOR={re.escape(repr(value))}: .*{why}"):
        settings_from_env({"ADVISOR_VALIDATOR": value})


def test_missing_credentials_stop_with_one_line(no_aws: None) -> None:
    with pytest.raises(ConfigError) as err:
        resolve_chain("bedrock", {})
    msg = str(err.value)
    assert msg.startswith("analyst bedrock cannot start: bedrock: no AWS credentials")
    assert "\n" not in msg
    with pytest.raises(ConfigError, match="anthropic: ANTHROPIC_API_KEY is not set; openai"):
        resolve_chain("anthropic,openai", {})
    with pytest.raises(ConfigError, match=r"replay: ledger .*nope.jsonl does not exist"):
        resolve_chain("replay", {}, ledger=Path("nope.jsonl"))


def test_a_chain_that_ends_in_a_working_provider_goes_on_and_says_so(no_aws: None) -> None:
    r = resolve_chain("bedrock,anthropic,rules", {"ANTHROPIC_API_KEY": "k"})
    assert r.usable == ("anthropic", "rules")
    assert r.note() == "analyst chain: bedrock (no AWS credentials) skipped -> anthropic,rules"
    r = resolve_chain("bedrock,rules", {})
    assert r.note() == "analyst chain: bedrock (no AWS credentials) skipped -> rules"
    assert resolve_chain("openai", {"OPENAI_API_KEY": "sk"}).note() == ""


def test_lambda_container_logs_and_uses_the_rest_of_the_chain(
    no_aws: None, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    env = {
        "ADVISOR_ANALYST": "bedrock,anthropic,rules",
        "ADVISOR_LOCAL_DIR": str(tmp_path),
        "ANTHROPIC_API_KEY": "k",
    }
    c = Container(env)
    with caplog.at_level("ERROR"):
        assert c.analyst_chain == "anthropic,rules"
    (rec,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert rec.getMessage() == (
        "analyst chain: bedrock (no AWS credentials) skipped -> anthropic,rules"
    )


def test_replay_cli_with_bedrock_and_no_credentials_exits_at_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("ANTHROPIC_API_KEY", None)
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        PYTHONPATH=str(ROOT / "shared"),
    )
    cmd = [sys.executable, "-m", "llm_advisor", "replay", "--synthetic", "--sessions", "2"]
    done = subprocess.run(
        [*cmd, "--no-db", "--analyst", "bedrock"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: analyst bedrock cannot start: bedrock: no AWS credentials")
    assert done.stdout == ""
    assert not (tmp_path / "out").exists()  # nothing ran

    done = subprocess.run(
        [*cmd, "--no-db", "--analyst", "bedrock,rules", "--out", str(tmp_path / "o")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "analyst chain: bedrock (no AWS credentials) skipped -> rules" in done.stderr
    assert (tmp_path / "o" / "trades.csv").exists()
