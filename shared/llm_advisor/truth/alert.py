"""When a day diverges beyond the thresholds: one alert (pure), sent by the caller.

Thresholds (environment, read by the entry points): ``ADVISOR_TRUTH_MAX_MISSED`` and
``ADVISOR_TRUTH_MAX_EXTRA`` (signals missed by live / extra in live tolerated; default 0,
so any one alerts) and ``ADVISOR_TRUTH_MAX_SLIPPAGE_BPS`` (mean entry slippage; default
10). The alert's key is the run and day, so a rerun of the report never alerts twice
(``notify.watch.Watch.send`` claims it in the alert log first).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from llm_advisor.core.errors import UserError
from llm_advisor.core.ports import Alert
from llm_advisor.truth.records import TruthReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thresholds:
    max_missed: int = 0
    max_extra: int = 0
    max_slippage_bps: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Thresholds:
        def num(name: str, default: float, kind: type) -> Any:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                v = kind(raw)
            except ValueError:
                raise UserError(f"{name}={raw!r}: expected a number") from None
            if v < 0:
                raise UserError(f"{name}={raw!r}: expected a number >= 0")
            return v

        return cls(
            num("ADVISOR_TRUTH_MAX_MISSED", 0, int),
            num("ADVISOR_TRUTH_MAX_EXTRA", 0, int),
            num("ADVISOR_TRUTH_MAX_SLIPPAGE_BPS", 10.0, float),
        )


def breaches(report: TruthReport, t: Thresholds) -> list[str]:
    c = report.counts
    out = []
    if c.get("signals_missed", 0) > t.max_missed:
        out.append(f"{c['signals_missed']} signal(s) missed by live")
    if c.get("signals_extra", 0) > t.max_extra:
        out.append(f"{c['signals_extra']} extra signal(s) in live")
    bps = report.slippage_bps
    if bps is not None and bps > t.max_slippage_bps:
        out.append(f"entry slippage {bps:+.1f} bps on average (limit {t.max_slippage_bps:g})")
    return out


def truth_alert(report: TruthReport, t: Thresholds, at: datetime) -> Alert | None:
    why = breaches(report, t)
    if not why:
        return None
    causes = sorted({d.cause for d in report.divergences})
    return Alert(
        key=f"truth:{report.run_id}:{report.day.isoformat()}",
        kind="truth",
        severity="warning",
        at=at,
        subject=f"Live diverged from the model on {report.day.isoformat()}",
        message="; ".join(why)
        + f". {len(report.divergences)} divergence(s), causes: {', '.join(causes) or '-'}. "
        f"P/L live {report.pnl_live:+.2f} vs model {report.pnl_model:+.2f}.",
    )


def send_alert(alert: Alert | None, watch: Any = None) -> bool:
    """Through the notifier (``Watch.send``: logged once, then delivered) when there is one,
    else a log line (the Lambda adds the metric)."""
    if alert is None:
        return False
    if watch is not None:
        return bool(watch.send([alert]))
    log.warning("TRUTH ALERT %s: %s", alert.subject, alert.message)
    return True
