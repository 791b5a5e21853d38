"""Provider names and kinds, and how a chain of them is spelled: names only, no transports.

``AppSettings`` validates ``analyst`` / ``validator`` with ``parse_chain`` at load, and the
core must not import the analysis package (its transports pull in boto3, anthropic and
openai; an import-linter contract forbids it). ``analysis.providers`` holds the full
registry (credentials, builders) and checks at import that its names and kinds are these.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["offline", "llm", "replay"]

KINDS: dict[str, Kind] = {
    "rules": "offline",
    "neutral": "offline",
    "bedrock": "llm",
    "bedrock-converse": "llm",
    "anthropic": "llm",
    "openai": "llm",
    "replay": "replay",
}
NAMES: tuple[str, ...] = tuple(KINDS)


def parse_chain(text: str) -> tuple[str, ...]:
    """``"bedrock, anthropic,neutral"`` -> ``("bedrock", "anthropic", "neutral")``.

    ValueError with one line saying what is wrong (unknown name, duplicate, an offline
    provider before the end, replay mixed with others)."""
    names = tuple(p.strip().lower() for p in str(text).split(","))
    if not any(names):
        raise ValueError(f"empty; choose from {', '.join(NAMES)}")
    for n in names:
        if n not in KINDS:
            raise ValueError(
                f"unknown provider {n!r}; choose from {', '.join(NAMES)} "
                "(comma-separated for a fallback chain)"
            )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{', '.join(dupes)} appears twice in the chain")
    for n in names[:-1]:
        if KINDS[n] == "offline":
            raise ValueError(f"{n} always answers, so it can only be the last of the chain")
    if "replay" in names and len(names) > 1:
        raise ValueError("replay reproduces a recorded run and cannot be chained")
    return names


def chain_text(chain: tuple[str, ...]) -> str:
    return ",".join(chain)
