"""Building the chat for a driver (API, CLI): which model, if any, words the answers.

``ADVISOR_CHAT_LLM`` names a provider of ``analysis.factory.make_llm`` (``bedrock``,
``anthropic``, ...); unset or ``none`` means the deterministic answerer only, which is also
what runs without credentials. The LLM shares the analyst's daily budget setting
(``ADVISOR_LLM_DAILY_BUDGET_USD``) and records its calls in a ledger: the API's database
role is read-only, so the chat's ledger lives in the container (its spend still counts
against the budget the container enforces).
"""

from __future__ import annotations

from collections.abc import Mapping

from llm_advisor.chat.llm import LLMAnswerer
from llm_advisor.core.clock import Clock
from llm_advisor.core.config import load_environment

CHAT_LLM_VAR = "ADVISOR_CHAT_LLM"


def chat_llm_name(env: Mapping[str, str] | None = None) -> str | None:
    name = (load_environment(env).get(CHAT_LLM_VAR) or "").strip().lower()
    return None if name in ("", "none", "off", "rules") else name


def make_answerer(clock: Clock, env: Mapping[str, str] | None = None) -> LLMAnswerer | None:
    """The LLM answerer named by ``ADVISOR_CHAT_LLM``, or None (deterministic only)."""
    name = chat_llm_name(env)
    if name is None:
        return None
    from llm_advisor.analysis.factory import make_llm
    from llm_advisor.analysis.ledger import InMemoryLedger
    from llm_advisor.core.config import settings_from_env

    values = load_environment(env)
    llm = make_llm(name, settings_from_env(env), InMemoryLedger(), clock, timeout_s=10.0)
    return LLMAnswerer(llm, clock, secret_values(values))


SECRET_WORDS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "CREDENTIAL")


def secret_values(env: Mapping[str, str]) -> list[str]:
    """Values of variables whose names say they are secrets (never to appear in answers)."""
    return [v for k, v in env.items() if any(w in k.upper() for w in SECRET_WORDS) and v]
