"""`make invoke FN=... EVENT=...` runs a handler on its sample event with no keys at all.

Every file in events/ is run (found at test time: a new function's events need no edit
here), named events/<function>.json or events/<function>_<variant>.json. Each run is one
subprocess, as `make invoke` runs it; the result alone is on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))
EVENTS = sorted(p.name for p in (ROOT / "events").glob("*.json"))


def function_of(event_file: str) -> str | None:
    """events/<function>.json or events/<function>_<variant>.json: the longest match."""
    stem = event_file.removesuffix(".json")
    names = [f for f in FUNCTIONS if stem == f or stem.startswith(f + "_")]
    return max(names, key=len) if names else None


def _run(
    fn: str, tmp_path: Path, event_file: str | None = None, *flags: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPACA_", "APCA_"))}
    env["ADVISOR_DB_URL"] = f"sqlite:///{tmp_path / 'invoke.sqlite3'}"
    env["PYTHONPATH"] = str(ROOT)
    env.pop("LLM_ADVISOR_PG_URL", None)  # db_bootstrap: the no-database path, no wait on TLS
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "invoke.py"),
            *flags,
            fn,
            str(ROOT / "events" / (event_file or f"{fn}.json")),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )


def _invoke(fn: str, tmp_path: Path) -> tuple[int, str]:
    proc = _run(fn, tmp_path)
    return proc.returncode, proc.stderr + proc.stdout  # notes, then the result


def _response(stdout: str) -> dict[str, object]:
    start = stdout.index("\n{\n") + 1 if not stdout.startswith("{\n") else 0
    return dict(json.loads(stdout[start:]))


@pytest.mark.slow
def test_live_tick_sample_event_steps_the_session_against_the_local_stand_in(
    tmp_path: Path,
) -> None:
    rc, out = _invoke("live_tick", tmp_path)
    assert rc == 0, out
    assert "local Alpaca stand-in" in out
    resp = _response(out)
    assert resp["status"] == "stepped" and resp["minutes"] == 75


def test_bad_event_path_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "invoke.py"),
            "live_tick",
            str(tmp_path / "none.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and "none.json" in proc.stdout and "Traceback" not in proc.stderr


def test_every_sample_event_names_a_function() -> None:
    assert EVENTS, "no events/*.json"
    assert [e for e in EVENTS if function_of(e) is None] == []


@pytest.mark.slow
@pytest.mark.parametrize("event_file", EVENTS)
def test_every_sample_event_runs_and_prints_only_its_result(
    event_file: str, tmp_path: Path
) -> None:
    fn = function_of(event_file)
    assert fn is not None
    proc = _run(fn, tmp_path, event_file)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and " failed: " not in proc.stdout
    result = json.loads(proc.stdout)  # the handler's result, nothing before or after it
    assert isinstance(result, dict) and result
    assert "rejected by" not in proc.stderr, proc.stderr  # the broker took the plan
    assert '"_aws"' not in proc.stdout + proc.stderr  # metrics only with --verbose
    if fn == "db_bootstrap":  # CloudFormation's answer was caught on loopback, not sent
        assert "CloudFormation would have received: " in proc.stderr


@pytest.mark.slow
def test_verbose_also_prints_the_handlers_metrics_and_logs(tmp_path: Path) -> None:
    proc = _run("trade_executor", tmp_path, None, "--verbose")
    assert proc.returncode == 0, proc.stderr
    assert '"_aws"' in proc.stdout and '"CloudWatchMetrics"' in proc.stdout
    assert proc.stdout.rstrip().endswith("}")


def test_usage_names_every_function_and_verbose() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "invoke.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and "--verbose" in proc.stdout
    assert all(f in proc.stdout for f in FUNCTIONS)
