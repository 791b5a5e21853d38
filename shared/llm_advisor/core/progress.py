"""Progress of the CLI's long steps, on stderr, in one style across commands.

Why: a replay, the simulated day, ``train-bias`` or a sweep can run for minutes; silence
makes a newcomer think the command hung. Every step that can take more than ~2 s reports
through this module, so the look and the switches are the same everywhere:

- stderr is a terminal: a ``rich`` bar (label, bar, done/total, %, elapsed, ETA). Bars opened
  while another is running stack under it in one live display (``replay --compare``'s three
  runs, an LLM replay's sessions and calls). ``rich`` because it draws several bars at once
  without garbling lines printed to stderr meanwhile, honours ``NO_COLOR`` and dumb
  terminals, and is already in the environment; when it is missing, a plain ``\\r`` bar.
- stderr is not a terminal (CI logs, ``2> file``): one plain line every 10 s with the same
  figures, and a last line when the step took that long; nothing for a short step.
- off: ``--quiet`` (``set_enabled(False)``), ``ADVISOR_NO_PROGRESS`` set (the tests), or a
  caller's ``enabled=False`` (a sweep's worker replays).

Progress never touches stdout: ``--json`` output stays one clean document.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import IO, Any, TypeVar

from llm_advisor.core.config import load_environment

T = TypeVar("T")
LINE_EVERY_SECONDS = 10.0


class _State:
    """Process-wide: the --quiet switch and the live display the open bars share."""

    enabled = True
    live: Any = None  # the rich Progress drawing every bar open right now
    open_bars = 0
    unclosed: list[ProgressBar] = []  # noqa: RUF012 (one per process, for close_all())


_state = _State()


def set_enabled(flag: bool) -> None:
    """Turn every bar of this process on or off (``--quiet`` turns them off)."""
    _state.enabled = flag


def _clock(secs: float) -> str:
    m, s = divmod(int(max(secs, 0)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


def mode(enabled: bool | None = None, stream: IO[str] | None = None) -> str:
    """``bar`` (a terminal), ``lines`` (not a terminal, or forced) or ``off``."""
    stream = sys.stderr if stream is None else stream
    if not _state.enabled or enabled is False or load_environment().get("ADVISOR_NO_PROGRESS"):
        return "off"
    isatty = getattr(stream, "isatty", None)
    return "bar" if callable(isatty) and isatty() else "lines"


def _rich_progress(stream: IO[str]) -> Any:
    try:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
    except ImportError:  # rich is optional at run time: fall back to the plain bar
        return None
    console = Console(file=stream, no_color=bool(os.environ.get("NO_COLOR")), highlight=False)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        redirect_stdout=False,  # stdout is the command's result (maybe --json): untouched
        redirect_stderr=True,  # warnings printed meanwhile scroll above the bars
    )


class ProgressBar:
    """One step's progress: ``advance()`` per unit done, or call it as ``bar(done, total)``
    (the callback shape the sweep executors take). Use it as a context manager, or
    ``close()`` it; closing twice is harmless.

    ``clock`` and ``stream`` are injectable so the plain-line mode is testable without
    sleeping; the defaults are the monotonic clock and stderr.
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        enabled: bool | None = None,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = sys.stderr if stream is None else stream
        self.mode = mode(enabled, self.stream)
        self._clock = clock
        self._t0 = clock()
        self._last_line = self._t0
        self._lines = 0
        self._task: Any = None
        self._closed = False
        _state.unclosed.append(self)
        if self.mode == "bar":
            self._start_bar()

    # -- rich bar ---------------------------------------------------------------------
    def _start_bar(self) -> None:
        if _state.live is None:
            _state.live = _rich_progress(self.stream)
            if _state.live is None:
                self.mode = "plain"
                return
            _state.live.start()
        _state.open_bars += 1
        self._task = _state.live.add_task(self.label, total=self.total)

    def _stop_bar(self) -> None:
        if self._task is None or _state.live is None:
            return
        _state.live.update(self._task, completed=self.done, total=self.total or self.done)
        _state.open_bars -= 1
        if _state.open_bars <= 0:
            _state.live.stop()
            _state.live, _state.open_bars = None, 0

    # -- updates ----------------------------------------------------------------------
    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def __call__(self, done: int, total: int) -> None:
        self.update(done, total)

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done = done
        if self.mode == "bar" and _state.live is not None and self._task is not None:
            _state.live.update(self._task, completed=done, total=self.total)
        elif self.mode == "plain":
            self._plain()
        elif self.mode == "lines":
            now = self._clock()
            if now - self._last_line >= LINE_EVERY_SECONDS:
                self._last_line = now
                self._line(now)

    def _figures(self, now: float) -> str:
        elapsed = now - self._t0
        if not self.total:
            return f"{self.done} done, {_clock(elapsed)} elapsed"
        pct = 100.0 * self.done / self.total
        eta = elapsed / self.done * (self.total - self.done) if self.done else None
        return (
            f"{self.done}/{self.total} ({pct:.0f}%), {_clock(elapsed)} elapsed, "
            f"ETA {_clock(eta) if eta is not None else '?'}"
        )

    def _line(self, now: float) -> None:
        self._lines += 1
        self.stream.write(f"{self.label}: {self._figures(now)}\n")
        self.stream.flush()

    def _plain(self) -> None:
        width, total = 30, max(self.total or 0, 1)
        filled = min(width, int(width * self.done / total))
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self._figures(self._clock())} "
        )
        self.stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self in _state.unclosed:
            _state.unclosed.remove(self)
        if self.mode == "bar":
            self._stop_bar()
        elif self.mode == "plain":
            self.stream.write("\n")
            self.stream.flush()
        elif self.mode == "lines" and self._lines:  # said something: say when it ended
            elapsed = self._clock() - self._t0
            self.stream.write(f"{self.label}: done {self.done} in {_clock(elapsed)}\n")
            self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def close_all() -> None:
    """Close the bars still open (the CLI calls it on the way out, error or not), so the
    terminal gets its cursor back and a bar left open by a wrapper still ends cleanly."""
    for bar in list(_state.unclosed):
        bar.close()


def progress(
    items: Iterable[T], total: int, label: str, enabled: bool | None = None
) -> Iterator[T]:
    """Yield ``items`` while a bar counts them (``enabled``: None = automatic)."""
    with ProgressBar(label, total, enabled=enabled) as bar:
        for item in items:
            yield item
            bar.advance()


# ---------------------------------------------------------------- command output switches
def add_output_options(p: argparse.ArgumentParser, json_help: str | None = None) -> None:
    """``--quiet`` (no progress on stderr) and, with ``json_help``, ``--json``."""
    p.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress bars or progress lines on stderr (results still print)",
    )
    if json_help is not None:
        p.add_argument("--json", action="store_true", help=json_help)


def apply_output_options(args: argparse.Namespace) -> None:
    if getattr(args, "quiet", False):
        set_enabled(False)


@contextlib.contextmanager
def json_document(json_mode: bool) -> Iterator[dict[str, Any]]:
    """Around a command's work: yields the dict the command fills for ``--json``. With
    ``json_mode`` the human report printed meanwhile is dropped and, when the block ends
    without an error, the dict is printed: stdout is that one JSON document (warnings and
    errors go to stderr as always)."""
    doc: dict[str, Any] = {}
    if not json_mode:
        yield doc
        return
    out = sys.stdout
    with contextlib.redirect_stdout(io.StringIO()):
        yield doc
    out.write(json.dumps(doc, indent=2, default=str) + "\n")
    out.flush()
