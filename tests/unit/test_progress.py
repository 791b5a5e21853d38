"""The CLI's progress reporting: a bar on a terminal, a line every 10 s elsewhere, off on
--quiet / ADVISOR_NO_PROGRESS, never a byte on stdout."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pytest

from llm_advisor.core import progress as prog
from llm_advisor.core.progress import ProgressBar, json_document, progress, set_enabled


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(autouse=True)
def _progress_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ADVISOR_NO_PROGRESS", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    set_enabled(True)
    yield
    set_enabled(True)


def test_not_a_terminal_prints_a_line_every_ten_seconds_with_an_eta() -> None:
    out, clock = io.StringIO(), FakeClock()
    with ProgressBar("replay", 10, stream=out, clock=clock) as bar:
        assert bar.mode == "lines"
        bar.advance()
        clock.t += 5
        bar.advance()  # 5 s: too soon for a line
        assert out.getvalue() == ""
        clock.t += 10
        bar.advance()  # 15 s, 3 of 10: 5 s each, 7 left
    lines = out.getvalue().splitlines()
    assert lines[0] == "replay: 3/10 (30%), 0:00:15 elapsed, ETA 0:00:35"
    assert lines[1] == "replay: done 3 in 0:00:15"
    assert len(lines) == 2


def test_a_short_step_off_a_terminal_says_nothing() -> None:
    out, clock = io.StringIO(), FakeClock()
    for _ in progress_with(out, clock, range(4)):
        clock.t += 1
    assert out.getvalue() == ""


def progress_with(out: io.StringIO, clock: FakeClock, items: range) -> Iterator[int]:
    with ProgressBar("premarket", len(items), stream=out, clock=clock) as bar:
        for i in items:
            yield i
            bar.advance()


@pytest.mark.parametrize("how", ["quiet", "env", "caller"])
def test_quiet_env_or_caller_turn_it_off(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    out, clock = Tty(), FakeClock()
    if how == "quiet":
        set_enabled(False)
    elif how == "env":
        monkeypatch.setenv("ADVISOR_NO_PROGRESS", "1")
    with ProgressBar("x", 3, stream=out, clock=clock, enabled=False if how == "caller" else None):
        clock.t += 60
    assert out.getvalue() == ""


def test_a_terminal_gets_a_bar_with_counts_and_eta_and_no_colour(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = Tty()
    with ProgressBar("walk-forward", 5, stream=out) as bar:
        assert bar.mode == "bar"
        for _ in range(5):
            bar.advance()
    text = out.getvalue()
    assert "walk-forward" in text and "5/5" in text and "ETA" in text
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m", text)  # NO_COLOR: no foreground colours
    assert capsys.readouterr().out == ""  # progress never writes to stdout


def test_bars_opened_meanwhile_share_one_live_display() -> None:
    out = Tty()
    with ProgressBar("compare", 3, stream=out) as outer:
        with ProgressBar("replay", 2, stream=out) as inner:
            assert prog._state.live is not None and prog._state.open_bars == 2
            inner.advance(2)
        assert prog._state.open_bars == 1
        outer.advance()
    assert prog._state.live is None
    assert "compare" in out.getvalue() and "replay" in out.getvalue()


def test_the_callback_shape_takes_done_and_total() -> None:
    out, clock = io.StringIO(), FakeClock()
    bar = ProgressBar("sweep", stream=out, clock=clock)
    clock.t += 20
    bar(4, 8)
    bar.close()
    bar.close()  # twice: harmless
    assert out.getvalue().splitlines() == [
        "sweep: 4/8 (50%), 0:00:20 elapsed, ETA 0:00:20",
        "sweep: done 4 in 0:00:20",
    ]


def test_progress_yields_every_item_once() -> None:
    assert list(progress(iter("abc"), 3, "x", enabled=False)) == ["a", "b", "c"]


def test_json_mode_prints_one_document_and_drops_the_human_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with json_document(True) as doc:
        print("a report line")
        doc["run_id"] = "r1"
    assert json.loads(capsys.readouterr().out) == {"run_id": "r1"}
    with json_document(False) as doc:
        print("kept")
        doc["run_id"] = "r1"
    assert capsys.readouterr().out == "kept\n"
