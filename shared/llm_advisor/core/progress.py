"""A tiny progress bar on stderr (only when stderr is a terminal or forced)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(
    items: Iterable[T], total: int, label: str, enabled: bool | None = None
) -> Iterator[T]:
    show = sys.stderr.isatty() if enabled is None else enabled
    if os.environ.get("LLM_ADVISOR_NO_PROGRESS"):
        show = False
    width = 30
    for i, item in enumerate(items, 1):
        yield item
        if show:
            done = int(width * i / max(total, 1))
            sys.stderr.write(f"\r{label} [{'#' * done}{'.' * (width - done)}] {i}/{total}")
            sys.stderr.flush()
    if show:
        sys.stderr.write("\n")
