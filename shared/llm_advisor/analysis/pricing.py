"""What a model call costs and what the model could already know.

Prices are list prices per million tokens, keyed by a model-id *family* so that Bedrock's
regional ids (``us.anthropic.claude-haiku-4-5-20251001-v1:0``) and the API's aliases
(``claude-haiku-4-5``) share a row. Knowledge cutoffs matter for honest backtests: a model
replayed over sessions before its cutoff may have read about those very days, so reports
flag them as contaminated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from llm_advisor.core.errors import ConfigError


@dataclass(frozen=True)
class Price:
    input_per_mtok: Decimal
    output_per_mtok: Decimal

    def cost(self, tokens_in: int, tokens_out: int) -> Decimal:
        return (
            Decimal(tokens_in) * self.input_per_mtok + Decimal(tokens_out) * self.output_per_mtok
        ) / Decimal(1_000_000)


# List prices (USD per million tokens) of the models this project uses.
DEFAULT_PRICES: dict[str, Price] = {
    "claude-haiku-4-5": Price(Decimal("1"), Decimal("5")),
    "claude-sonnet-4-5": Price(Decimal("3"), Decimal("15")),
}

# Month of the model's (reliable) knowledge cutoff, stored as that month's first day: every
# session in or before that month may be in the training data.
KNOWLEDGE_CUTOFFS: dict[str, date] = {
    "claude-haiku-4-5": date(2025, 2, 1),
    "claude-sonnet-4-5": date(2025, 1, 1),
}

OFFLINE_PROVIDERS = frozenset({"rules", "neutral", "replay-rules"})


def model_family(model_id: str) -> str | None:
    """Map any spelling of a model id to its table key, or None if unknown."""
    mid = model_id.lower()
    for key in sorted(DEFAULT_PRICES.keys() | KNOWLEDGE_CUTOFFS.keys(), key=len, reverse=True):
        if key in mid:
            return key
    return None


class PriceTable:
    """Per-model prices; unknown models cost the most expensive known price (fail safe)."""

    def __init__(self, prices: Mapping[str, Price] | None = None) -> None:
        self._prices = dict(DEFAULT_PRICES if prices is None else prices)
        if not self._prices:
            raise ConfigError("price table is empty")

    def price(self, model_id: str) -> Price:
        if model_id in self._prices:
            return self._prices[model_id]
        fam = model_family(model_id)
        if fam is not None and fam in self._prices:
            return self._prices[fam]
        return max(self._prices.values(), key=lambda p: (p.output_per_mtok, p.input_per_mtok))

    def cost(self, model_id: str, tokens_in: int, tokens_out: int) -> Decimal:
        return self.price(model_id).cost(tokens_in, tokens_out)


def knowledge_cutoff(model_id: str) -> date | None:
    fam = model_family(model_id)
    return KNOWLEDGE_CUTOFFS.get(fam) if fam else None


def contaminated_sessions(sessions: Iterable[date], model_id: str) -> list[date]:
    """Sessions a real model may have seen in training (up to its cutoff month).

    An unknown model id is assumed to know everything up to today, i.e. every session is
    flagged; offline analysts (rules, neutral) never contaminate.
    """
    if model_id in OFFLINE_PROVIDERS:
        return []
    cutoff = knowledge_cutoff(model_id)
    days = sorted(set(sessions))
    if cutoff is None:
        return days
    return [d for d in days if (d.year, d.month) <= (cutoff.year, cutoff.month)]
