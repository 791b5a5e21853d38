"""Where the live session keeps its state, and the bytes it is kept as.

The tick, the market analysis, the truth report and the tests all read the same stored
items (``engine#<day>``, ``advice#<day>``), so the keys and the codec live in one small
module that none of them has to import the tick for. The codec is strict JSON, compressed:
small enough for one DynamoDB item, readable by any reader, and stable across releases.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from datetime import date
from typing import Any

WATCH_KEY = "late_watch"  # the late-bar watch list, saved next to the engine's own state
_NONFINITE = "$nonfinite"


def engine_key(day: date) -> str:
    return f"engine#{day.isoformat()}"


def advice_key(day: date) -> str:
    return f"advice#{day.isoformat()}"


def _tag_nonfinite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return {_NONFINITE: repr(obj)}  # 'nan', 'inf', '-inf'
    if isinstance(obj, Mapping):
        return {k: _tag_nonfinite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_tag_nonfinite(v) for v in obj]
    return obj


def _untag_nonfinite(d: dict[str, Any]) -> Any:
    if len(d) == 1 and _NONFINITE in d:
        return float(d[_NONFINITE])
    return d


def encode_state(state: Mapping[str, Any]) -> bytes:
    """Compact, compressed, strict JSON: a 500-symbol state stays far below DynamoDB's 400 KB,
    and any reader can parse it. A non-finite float (the engine may hold NaN for an undefined
    value) is written as ``{"$nonfinite": "nan"}``, never as the non-JSON ``NaN``/``Infinity``;
    the usual all-finite state takes the fast path without the walk."""
    try:
        text = json.dumps(state, separators=(",", ":"), allow_nan=False)
    except ValueError:
        text = json.dumps(_tag_nonfinite(state), separators=(",", ":"), allow_nan=False)
    return zlib.compress(text.encode(), 6)


def decode_state(blob: bytes) -> dict[str, Any]:
    """Also reads states saved before the strict encoding (bare ``NaN`` literals)."""
    data: dict[str, Any] = json.loads(zlib.decompress(blob), object_hook=_untag_nonfinite)
    return data
