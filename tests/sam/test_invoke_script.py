"""`make invoke FN=... EVENT=...` runs a handler on its sample event with no keys at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _invoke(fn: str, tmp_path: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPACA_", "APCA_"))}
    env["ADVISOR_DB_URL"] = f"sqlite:///{tmp_path / 'invoke.sqlite3'}"
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "invoke.py"),
            fn,
            str(ROOT / "events" / f"{fn}.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stdout


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
