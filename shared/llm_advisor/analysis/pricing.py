"""What a model call costs and what the model could already know.

Prices are list prices per million tokens from the one dated table in ``price_table.py``,
keyed by (provider, model *family*) so that Bedrock's ids
(``us.anthropic.claude-haiku-4-5-20251001-v1:0``) and the API's aliases
(``claude-haiku-4-5``) find their family, and each provider its own price: Bedrock's
regional endpoints cost 10% more than the API for the same model. A lookup *with* a
provider (the transport's name: ``bedrock``, ``bedrock-converse``, ``anthropic``,
``openai``) gets that provider's row; a ``global.`` Bedrock profile gets the global row.
A lookup *without* one gets the model vendor's own API price, as before prices were kept
per provider. Unknown models cost the most expensive known price (fail safe: a budget is
never under-charged): the dearest row of all with a provider, the dearest API price without.

Knowledge cutoffs matter for honest backtests: a model replayed over sessions before its
cutoff may have read about those very days, so reports flag them as contaminated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from llm_advisor.analysis.price_table import ROWS, PriceRow
from llm_advisor.core.errors import ConfigError


@dataclass(frozen=True)
class Price:
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    # Prompt caching (None: not offered / not known): a cache hit, and a cache write for the
    # 5-minute and 1-hour TTLs (None with a cache_read: no write premium, as on OpenAI).
    cache_read_per_mtok: Decimal | None = None
    cache_write_5m_per_mtok: Decimal | None = None
    cache_write_1h_per_mtok: Decimal | None = None
    min_cache_tokens: int = 0

    def cost(self, tokens_in: int, tokens_out: int) -> Decimal:
        return (
            Decimal(tokens_in) * self.input_per_mtok + Decimal(tokens_out) * self.output_per_mtok
        ) / Decimal(1_000_000)

    @classmethod
    def of_row(cls, row: PriceRow) -> Price:
        return cls(
            Decimal(row.input),
            Decimal(row.output),
            row.d("cache_read"),
            row.d("cache_write_5m"),
            row.d("cache_write_1h"),
            row.min_cache_tokens,
        )


def _dearest(prices: Iterable[Price]) -> Price:
    return max(prices, key=lambda p: (p.output_per_mtok, p.input_per_mtok))


PROVIDER_PRICES: dict[tuple[str, str], Price] = {
    (r.provider, r.family): Price.of_row(r) for r in ROWS
}

# Provider-free prices (one per family): the model vendor's own API, as before the table
# was keyed by provider. Used when a caller passes its own ``PriceTable(prices)``.
DEFAULT_PRICES: dict[str, Price] = {
    fam: p for (prov, fam), p in PROVIDER_PRICES.items() if prov in ("anthropic", "openai")
}

# Month of the model's (reliable) knowledge cutoff, stored as that month's first day: every
# session in or before that month may be in the training data.
KNOWLEDGE_CUTOFFS: dict[str, date] = {
    "claude-haiku-4-5": date(2025, 2, 1),
    "claude-sonnet-4-5": date(2025, 1, 1),
    "gpt-4o-mini": date(2023, 10, 1),
    "gpt-4.1-mini": date(2024, 6, 1),
}

OFFLINE_PROVIDERS = frozenset({"rules", "neutral", "replay-rules"})

# Bedrock model ids are ``[profile.]vendor.model``: a vendor prefix marks one.
_BEDROCK_VENDORS = ("anthropic.", "amazon.", "meta.", "mistral.", "cohere.", "ai21.", "deepseek.")

# Transport provider names -> price-table provider keys.
_PROVIDER_ALIASES = {"bedrock-converse": "bedrock", "anthropic-api": "anthropic"}


def model_family(model_id: str) -> str | None:
    """Map any spelling of a model id to its table key, or None if unknown."""
    mid = model_id.lower()
    keys = {fam for _, fam in PROVIDER_PRICES} | DEFAULT_PRICES.keys() | KNOWLEDGE_CUTOFFS.keys()
    for key in sorted(keys, key=len, reverse=True):
        if key in mid:
            return key
    return None


def price_provider(provider: str | None, model_id: str) -> str | None:
    """The price-table provider key of a call: the transport's name, else read from the id.

    Bedrock's ``global.`` inference profiles are billed at the global (API) price, every other
    Bedrock id (in-region, ``us.``/``eu.``/``apac.`` profiles) at the regional price."""
    mid = model_id.lower()
    bedrock_id = mid.startswith("arn:aws:bedrock") or any(v in mid for v in _BEDROCK_VENDORS)
    prov = _PROVIDER_ALIASES.get(provider or "", provider or "")
    if not prov:
        if bedrock_id:
            prov = "bedrock"
        elif mid.startswith(("gpt-", "o1", "o3", "o4")):
            prov = "openai"
        elif mid.startswith("claude-"):
            prov = "anthropic"
        else:
            return None
    if prov == "bedrock" and (mid.startswith("global.") or "/global." in mid):
        return "bedrock-global"
    return prov


class PriceTable:
    """Per-(provider, model) prices; unknown models cost the dearest known price (fail safe).

    ``PriceTable()`` is the dated table of ``price_table.py``. ``PriceTable(prices)`` is a
    provider-free table keyed by model id or family (tests, overrides): every provider pays
    the same there, as it did before prices were kept per provider."""

    def __init__(
        self,
        prices: Mapping[str, Price] | None = None,
        by_provider: Mapping[tuple[str, str], Price] | None = None,
    ) -> None:
        self._prices = dict(DEFAULT_PRICES if prices is None else prices)
        default_rows = PROVIDER_PRICES if prices is None else {}
        self._rows = dict(default_rows if by_provider is None else by_provider)
        if not self._prices and not self._rows:
            raise ConfigError("price table is empty")

    def _all(self) -> list[Price]:
        return [*self._prices.values(), *self._rows.values()]

    def price(self, model_id: str, provider: str | None = None) -> Price:
        fam = model_family(model_id)
        if provider is not None and self._rows:
            prov = price_provider(provider, model_id)
            if fam is None:
                return _dearest(self._all())
            row = self._rows.get((prov, fam)) if prov else None
            if row is not None:
                return row
            same = [p for (_, f), p in self._rows.items() if f == fam]
            if prov not in ("anthropic", "openai") and same:
                return _dearest(same)  # a known model on a cloud without a row: its dearest
        if model_id in self._prices:
            return self._prices[model_id]
        if fam is not None and fam in self._prices:
            return self._prices[fam]
        return _dearest(self._prices.values() if self._prices else self._all())

    def cost(
        self, model_id: str, tokens_in: int, tokens_out: int, provider: str | None = None
    ) -> Decimal:
        return self.price(model_id, provider).cost(tokens_in, tokens_out)


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
