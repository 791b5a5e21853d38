"""The one dated price table: USD per million tokens, per (provider, model family).

Why per provider: the same Claude model costs different amounts on the Anthropic API and
on Bedrock. From Claude Sonnet 4.5 and Haiku 4.5 on, Bedrock's regional endpoints (an
in-region model id and the geographic ``us.``/``eu.`` inference profiles this project uses
by default) carry a 10% premium over the global endpoint (``global.`` profiles), which costs
what the Anthropic API costs. One row for both would misstate every Bedrock bill.

Keys: ``anthropic`` (the Anthropic API), ``bedrock`` (Bedrock in-region and geographic
profiles: transports ``bedrock`` and ``bedrock-converse``), ``bedrock-global`` (Bedrock
``global.`` profiles), ``openai`` (the OpenAI API).

Each row says where its numbers come from and how sure they are (``status``):
- ``verified``: read on the provider's own page (through the docs search corpus);
- ``derived``: computed from a rule stated on a provider page (Bedrock regional = API + 10%);
- ``unverified``: only third-party copies of the provider's page agree on it.
Pages are cited by name; nothing here was fetched at run time.

Caching columns: ``cache_write_5m``/``cache_write_1h`` are Anthropic's cache-write prices
for the two TTLs (Bedrock bills the same kinds), ``cache_read`` the price of a cache hit;
OpenAI's caching is automatic with no write premium (a miss is billed as plain input) and a
cached-input price. ``min_cache_tokens`` is the shortest prefix that is cached at all:
below it the request is billed as if nothing were marked for caching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

AS_OF = date(2026, 12, 4)

Status = Literal["verified", "derived", "unverified"]

ANTHROPIC_PRICING = "Anthropic, 'Pricing' (platform.claude.com/docs/about-claude/pricing)"
ANTHROPIC_CACHING = "Anthropic, 'Prompt caching' (minimum cacheable prompt length per model)"
BEDROCK_RULE = (
    "Anthropic, 'Claude on Amazon Bedrock': from Sonnet 4.5/Haiku 4.5 on, regional endpoints "
    "include a 10% premium over global; AWS 'Amazon Bedrock pricing' page not read directly"
)
OPENAI_PRICING = (
    "OpenAI 'API pricing' as copied by several third parties; OpenAI's own page no longer "
    "lists the gpt-4.x models"
)
OPENAI_CACHING = "OpenAI, 'Prompt caching': automatic for prompts >= 1024 tokens"


@dataclass(frozen=True)
class PriceRow:
    provider: str
    family: str
    input: str
    output: str
    cache_read: str
    cache_write_5m: str | None  # None: no write premium (OpenAI), a miss is plain input
    cache_write_1h: str | None
    min_cache_tokens: int
    status: Status
    source: str

    def d(self, field: str) -> Decimal | None:
        v = getattr(self, field)
        return None if v is None else Decimal(v)


def _claude(provider: str, family: str, base: tuple[str, str], scale: str, min_cache: int,
            status: Status, source: str) -> PriceRow:  # fmt: skip
    """A Claude row from the API list price (input, output) times ``scale`` (1 or 1.1);
    cache writes are 1.25x (5 min) and 2x (1 h) input, cache hits 0.1x input."""
    k = Decimal(scale)
    i, o = Decimal(base[0]) * k, Decimal(base[1]) * k

    def s(x: Decimal) -> str:
        return format(x.normalize(), "f")

    return PriceRow(
        provider, family, s(i), s(o), s(i * Decimal("0.1")), s(i * Decimal("1.25")),
        s(i * 2), min_cache, status, source,
    )  # fmt: skip


HAIKU, SONNET = ("1", "5"), ("3", "15")

ROWS: tuple[PriceRow, ...] = (
    _claude("anthropic", "claude-haiku-4-5", HAIKU, "1", 4096, "verified",
            f"{ANTHROPIC_PRICING}; {ANTHROPIC_CACHING}"),
    _claude("anthropic", "claude-sonnet-4-5", SONNET, "1", 1024, "verified",
            f"{ANTHROPIC_PRICING} (prompts <= 200k tokens); {ANTHROPIC_CACHING}"),
    _claude("bedrock", "claude-haiku-4-5", HAIKU, "1.1", 4096, "derived",
            f"{BEDROCK_RULE}; AWS Haiku 4.5 model card: 4,096-token cache minimum, 5 min/1 h TTL"),
    _claude("bedrock", "claude-sonnet-4-5", SONNET, "1.1", 1024, "derived", BEDROCK_RULE),
    _claude("bedrock-global", "claude-haiku-4-5", HAIKU, "1", 4096, "derived",
            f"{BEDROCK_RULE} (global: no premium)"),
    _claude("bedrock-global", "claude-sonnet-4-5", SONNET, "1", 1024, "derived",
            f"{BEDROCK_RULE} (global: no premium)"),
    PriceRow("openai", "gpt-4o-mini", "0.15", "0.60", "0.075", None, None, 1024, "unverified",
             f"{OPENAI_PRICING}; {OPENAI_CACHING}"),
    PriceRow("openai", "gpt-4.1-mini", "0.40", "1.60", "0.10", None, None, 1024, "unverified",
             f"{OPENAI_PRICING}; {OPENAI_CACHING}"),
)  # fmt: skip

# How long a cached prefix lives after its last use. Anthropic and Bedrock: 5 minutes by
# default, 1 hour on request (refreshed by each hit). OpenAI in-memory retention: "typically
# cleared within 5 to 10 minutes of inactivity, always within one hour": 5 minutes is the
# figure that can be relied on.
CACHE_TTL_MINUTES: dict[str, tuple[int, ...]] = {
    "anthropic": (5, 60),
    "bedrock": (5, 60),
    "bedrock-global": (5, 60),
    "openai": (5,),
}
