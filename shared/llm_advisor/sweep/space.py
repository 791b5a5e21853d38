"""The search space: ``--grid key=v1,v2``, ``--range key=lo:hi`` or a TOML file -> trials.

Values are kept as the strings the user wrote (the same text ``replay --set key=value``
takes), so a trial's settings are exactly reproducible with a plain replay. Each value is
checked against its setting's type and range here, before any work, with one line naming
the setting and the value; combinations that break a rule across settings (e.g.
``mr_trigger_z < mr_arm_z``) are dropped and counted rather than failing the whole sweep.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, cast

import numpy as np
from pydantic import TypeAdapter, ValidationError

from llm_advisor.core.config import StrategyConfig
from llm_advisor.core.errors import ConfigError, UserError


@dataclass(frozen=True)
class Trial:
    """One point of the search: its settings (strings, as ``--set`` takes them)."""

    trial_id: str
    settings: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"trial_id": self.trial_id, "settings": dict(self.settings)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Trial:
        return cls(str(d["trial_id"]), {str(k): str(v) for k, v in d["settings"].items()})


@dataclass
class Space:
    """What to search: discrete lists (``grid``) and numeric ranges (``ranges``)."""

    grid: dict[str, list[str]] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    def keys(self) -> list[str]:
        return [*self.grid, *self.ranges]


def _known(key: str, flag: str) -> Any:
    fields = StrategyConfig.model_fields
    if key not in fields:
        raise UserError(f"{flag} {key}: unknown strategy setting; known: {', '.join(fields)}")
    return fields[key]


def check_value(key: str, value: str, flag: str = "--grid") -> str:
    """``value`` if it is a valid ``key`` on its own (type and range), else one line."""
    info = _known(key, flag)
    adapter: TypeAdapter[Any] = TypeAdapter(cast(Any, Annotated[info.annotation, info]))
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"]
        raise UserError(f"{flag} {key}={value}: {msg}") from None
    return value


def _fmt(x: Any) -> str:
    return str(x).lower() if isinstance(x, bool) else str(x)


def parse_grid(items: Sequence[str] | None, space: Space | None = None) -> Space:
    """``["mr_arm_z=1.0,1.2", "cooldown_bars=3,5"]`` -> ``Space.grid``."""
    space = space or Space()
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not sep or not key or not values:
            raise UserError(f"--grid {item!r}: expected KEY=V1,V2,...")
        if key in space.grid or key in space.ranges:
            raise UserError(f"--grid {key}: given twice")
        if len(set(values)) != len(values):
            raise UserError(f"--grid {key}={raw}: a value is repeated")
        space.grid[key] = [check_value(key, v) for v in values]
    return space


def parse_ranges(items: Sequence[str] | None, space: Space | None = None) -> Space:
    """``["atr_multiplier_sl=1.0:2.0"]`` -> ``Space.ranges`` (random search only)."""
    space = space or Space()
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        lo_s, colon, hi_s = raw.partition(":")
        if not sep or not colon:
            raise UserError(f"--range {item!r}: expected KEY=LOW:HIGH")
        info = _known(key, "--range")
        if info.annotation not in (int, float):
            raise UserError(f"--range {key}: a range needs a numeric setting, use --grid")
        try:
            lo, hi = float(lo_s), float(hi_s)
        except ValueError:
            raise UserError(f"--range {key}={raw}: LOW and HIGH must be numbers") from None
        if not lo < hi:
            raise UserError(f"--range {key}={raw}: LOW must be below HIGH")
        for v in (lo_s.strip(), hi_s.strip()):
            check_value(key, v if info.annotation is float else str(int(float(v))), "--range")
        if key in space.grid or key in space.ranges:
            raise UserError(f"--range {key}: given twice")
        space.ranges[key] = (lo, hi)
    return space


def load_toml(path: Path) -> tuple[Space, dict[str, Any]]:
    """A sweep file: ``[grid] key = [..]``, ``[range] key = [lo, hi]``, ``[set]`` base
    settings and ``[sweep]`` options (the CLI flags' names). Returns (space, options)."""
    try:
        doc = tomllib.loads(Path(path).read_text())
    except OSError as exc:
        raise UserError(f"--config {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"--config {path}: {exc}") from None
    unknown = set(doc) - {"grid", "range", "set", "sweep"}
    if unknown:
        raise UserError(f"--config {path}: unknown table(s) {', '.join(sorted(unknown))}")
    grid = [f"{k}={','.join(_fmt(v) for v in _list(path, k, vs))}" for k, vs in _tbl(doc, "grid")]
    ranges = []
    for k, vs in _tbl(doc, "range"):
        pair = _list(path, k, vs)
        if len(pair) != 2:
            raise UserError(f"--config {path}: range.{k}={vs!r}: expected [LOW, HIGH]")
        ranges.append(f"{k}={pair[0]}:{pair[1]}")
    space = parse_ranges(ranges, parse_grid(grid))
    options = dict(doc.get("sweep", {}))
    options["set"] = [f"{k}={_fmt(v)}" for k, v in _tbl(doc, "set")]
    return space, options


def _tbl(doc: Mapping[str, Any], name: str) -> list[tuple[str, Any]]:
    return list((doc.get(name) or {}).items())


def _list(path: Path, key: str, v: Any) -> list[Any]:
    if not isinstance(v, list) or not v:
        raise UserError(f"--config {path}: {key}={v!r}: expected a non-empty list")
    return v


def trial_id(settings: Mapping[str, str]) -> str:
    """Stable id of a settings point: the same point always has the same id."""
    blob = json.dumps(sorted(settings.items())).encode()
    return "t" + hashlib.sha256(blob).hexdigest()[:10]


def _valid(settings: Mapping[str, str], base: StrategyConfig) -> bool:
    try:
        base.with_overrides(settings)
    except ConfigError:
        return False
    return True


def grid_trials(space: Space, base: StrategyConfig) -> tuple[list[Trial], int]:
    """Every combination of the grid, in order; (trials, combinations dropped)."""
    if space.ranges:
        raise UserError("--range needs --random N (a grid needs --grid lists)")
    if not space.grid:
        raise UserError("nothing to sweep: give --grid KEY=V1,V2 (or a --config file)")
    keys = list(space.grid)
    out: list[Trial] = []
    dropped = 0
    for combo in itertools.product(*(space.grid[k] for k in keys)):
        settings = dict(zip(keys, combo, strict=True))
        if _valid(settings, base):
            out.append(Trial(trial_id(settings), settings))
        else:
            dropped += 1
    return out, dropped


def _draw(key: str, lo: float, hi: float, rng: np.random.Generator) -> str:
    if StrategyConfig.model_fields[key].annotation is int:
        return str(int(rng.integers(int(lo), int(hi) + 1)))
    return f"{rng.uniform(lo, hi):.4g}"


def random_trials(space: Space, base: StrategyConfig, n: int, seed: int) -> tuple[list[Trial], int]:
    """``n`` distinct points drawn with ``numpy.random.default_rng(seed)``: grid keys pick
    one of their values, range keys draw uniformly (integers for integer settings). The
    same seed and space always give the same trials."""
    if n < 1:
        raise UserError(f"--random={n}: must be >= 1")
    if not space.grid and not space.ranges:
        raise UserError("nothing to sweep: give --grid or --range (or a --config file)")
    rng = np.random.default_rng(seed)
    out: list[Trial] = []
    seen: set[str] = set()
    dropped = 0
    for _ in range(50 * n):
        if len(out) == n:
            break
        settings = {k: str(vs[int(rng.integers(len(vs)))]) for k, vs in space.grid.items()}
        settings |= {k: _draw(k, lo, hi, rng) for k, (lo, hi) in space.ranges.items()}
        tid = trial_id(settings)
        if tid in seen:
            continue
        seen.add(tid)
        if _valid(settings, base):
            out.append(Trial(tid, settings))
        else:
            dropped += 1
    if not out:
        raise UserError("no valid combination in the space (every draw broke a setting rule)")
    return out, dropped
