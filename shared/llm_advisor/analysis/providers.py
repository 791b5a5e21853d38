"""The one list of analyst and validator providers, and how a chain of them is read.

Every place that names a provider reads this registry: ``AppSettings.analyst`` and
``.validator`` validation, the CLI's ``--analyst`` / ``--summarizer`` choices, the factory
that builds transports, and the template's ``Analyst`` parameter (its ``AllowedPattern`` is
checked against ``chain_pattern()`` by a test). Adding a provider is one entry here plus its
transport.

A *chain* is a comma-separated list tried in order per call (``bedrock,anthropic,neutral``):
the first usable answer wins, each failure is recorded. Offline members (``rules``,
``neutral``) always answer, so they may only come last; ``replay`` reproduces a recorded run
and cannot be mixed with live providers (a replay that might go to the network would not be a
replay).

Credentials are checked here, without calling any provider, so a run that asks for a model
it cannot reach stops at start with one line instead of spending a timeout per call and
quietly trading on neutral advice.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from llm_advisor.core import providers as provider_names

if TYPE_CHECKING:
    from llm_advisor.analysis.transports import LLMTransport
    from llm_advisor.core.config import AppSettings

Kind = Literal["llm", "replay", "offline"]
AWS_NEEDS = "AWS credentials: AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO or a role"


def aws_credentials_missing(env: Mapping[str, str]) -> str | None:
    """boto3's own credential chain (environment, shared files, SSO, process, container,
    instance metadata), resolved locally: no call to AWS."""
    del env  # boto3 reads the process environment itself
    import boto3

    if boto3.Session().get_credentials() is None:
        return "no AWS credentials"
    return None


def _key_missing(var: str) -> Callable[[Mapping[str, str]], str | None]:
    def check(env: Mapping[str, str]) -> str | None:
        return None if env.get(var, "").strip() else f"{var} is not set"

    return check


def _bedrock(settings: AppSettings, url: str | None, env: Mapping[str, str]) -> LLMTransport:
    from llm_advisor.analysis.transports import (
        AnthropicMessagesTransport,
        anthropic_bedrock_factory,
    )

    factory = anthropic_bedrock_factory(settings.aws_region, url)
    return AnthropicMessagesTransport("bedrock", settings.bedrock_model_id, factory)


def _converse(settings: AppSettings, url: str | None, env: Mapping[str, str]) -> LLMTransport:
    from llm_advisor.analysis.transports import BedrockConverseTransport

    return BedrockConverseTransport(settings.bedrock_model_id, settings.aws_region, url)


def _anthropic(settings: AppSettings, url: str | None, env: Mapping[str, str]) -> LLMTransport:
    from llm_advisor.analysis.transports import AnthropicMessagesTransport, anthropic_api_factory

    factory = anthropic_api_factory(url, env.get("ANTHROPIC_API_KEY"))
    return AnthropicMessagesTransport("anthropic", settings.anthropic_model, factory)


def _openai(settings: AppSettings, url: str | None, env: Mapping[str, str]) -> LLMTransport:
    from llm_advisor.analysis.openai_transport import OpenAIChatTransport, openai_factory

    factory = openai_factory(url, env.get("OPENAI_API_KEY") or None)
    return OpenAIChatTransport(settings.openai_model, factory)


Builder = Callable[["AppSettings", str | None, Mapping[str, str]], "LLMTransport"]


@dataclass(frozen=True)
class Provider:
    """One provider: what it is, what it needs, and how to reach it."""

    name: str
    kind: Kind
    what: str
    needs: str
    model_setting: str | None = None  # the AppSettings field holding its model id
    missing: Callable[[Mapping[str, str]], str | None] | None = None
    build: Builder | None = None


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("rules", "offline", "deterministic rules over the features", "nothing"),
        Provider("neutral", "offline", "multipliers 1.0 (validator: undecided)", "nothing"),
        Provider(
            "bedrock",
            "llm",
            "Claude on Bedrock through anthropic.AnthropicBedrock (InvokeModel)",
            AWS_NEEDS,
            "bedrock_model_id",
            aws_credentials_missing,
            _bedrock,
        ),
        Provider(
            "bedrock-converse",
            "llm",
            "the same Bedrock model through boto3 bedrock-runtime converse",
            AWS_NEEDS,
            "bedrock_model_id",
            aws_credentials_missing,
            _converse,
        ),
        Provider(
            "anthropic",
            "llm",
            "the Anthropic API",
            "ANTHROPIC_API_KEY",
            "anthropic_model",
            _key_missing("ANTHROPIC_API_KEY"),
            _anthropic,
        ),
        Provider(
            "openai",
            "llm",
            "the OpenAI API (chat completions, forced function call)",
            "OPENAI_API_KEY",
            "openai_model",
            _key_missing("OPENAI_API_KEY"),
            _openai,
        ),
        Provider(
            "replay", "replay", "answers from the ledger by request hash", "a recorded ledger"
        ),
    )
}
PROVIDER_NAMES: tuple[str, ...] = tuple(PROVIDERS)
LLM_PROVIDERS: tuple[str, ...] = tuple(n for n, p in PROVIDERS.items() if p.kind == "llm")
"""Providers that call a model over the network (what ``replay`` reproduces)."""
if {n: p.kind for n, p in PROVIDERS.items()} != provider_names.KINDS:
    raise RuntimeError("analysis.providers and core.providers name different providers")


def parse_chain(text: str) -> tuple[str, ...]:
    """``"bedrock, anthropic,neutral"`` -> ``("bedrock", "anthropic", "neutral")``; the rules
    live with the names in ``core.providers`` (settings validation uses them there)."""
    return provider_names.parse_chain(text)


def chain_text(chain: tuple[str, ...]) -> str:
    return provider_names.chain_text(chain)


def chain_pattern() -> str:
    """The regex of a valid chain's *spelling* (for the template's AllowedPattern): one or
    more known names, comma-separated. Order rules are checked at start-up."""
    alt = "|".join(sorted(PROVIDER_NAMES, key=lambda n: (-len(n), n)))
    return f"^({alt})(,({alt}))*$"


def model_id_for(name: str, settings: AppSettings) -> str:
    """The model id a provider stands for (what contamination and prices are judged by);
    ``replay`` stands for the Bedrock model, offline providers for themselves."""
    if name == "replay":
        return settings.bedrock_model_id
    field = PROVIDERS[name].model_setting if name in PROVIDERS else None
    return str(getattr(settings, field)) if field else name


def replay_models(settings: AppSettings) -> tuple[str, ...]:
    """The model ids a replay looks answers up under, in the registry's order, once each."""
    ids = (model_id_for(n, settings) for n in LLM_PROVIDERS)
    return tuple(dict.fromkeys(ids))


def missing_credentials(
    name: str, env: Mapping[str, str] | None = None, ledger: Path | None = None
) -> str | None:
    """Why ``name`` cannot work here (e.g. ``"no AWS credentials"``), or None.

    ``env`` is the settings environment (``load_environment()``: ``.env`` included outside
    AWS); ``ledger`` is the file a replay reads. Nothing is sent anywhere."""
    env = dict(os.environ) if env is None else env
    spec = PROVIDERS[name]
    if spec.kind == "replay":
        if ledger is not None and not ledger.is_file():
            return f"ledger {ledger} does not exist"
        return None
    return spec.missing(env) if spec.missing is not None else None


@dataclass(frozen=True)
class ResolvedChain:
    """A chain after the credential check: who will be asked, who was skipped and why."""

    requested: tuple[str, ...]
    usable: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]

    def note(self, role: str = "analyst") -> str:
        """One line when something was skipped (``"analyst chain: bedrock (no AWS
        credentials) skipped -> rules"``), else empty."""
        if not self.skipped:
            return ""
        gone = ", ".join(f"{n} ({why})" for n, why in self.skipped)
        return f"{role} chain: {gone} skipped -> {chain_text(self.usable)}"


def resolve_chain(
    chain: str | tuple[str, ...],
    env: Mapping[str, str] | None = None,
    *,
    ledger: Path | None = None,
    role: str = "analyst",
) -> ResolvedChain:
    """Drop the members whose credentials are missing; ConfigError (one line naming what is
    missing) when no member that was asked for is left.

    Only a chain whose remaining members include what was asked for keeps going: a chain
    of LLMs that all lack credentials fails even though neutral would "work", unless the
    chain names ``rules`` or ``neutral`` itself as its last resort."""
    from llm_advisor.core.errors import ConfigError

    try:
        names = parse_chain(chain) if isinstance(chain, str) else parse_chain(",".join(chain))
    except ValueError as exc:
        raise ConfigError(f"{role}={chain!r}: {exc}") from None
    usable: list[str] = []
    skipped: list[tuple[str, str]] = []
    for n in names:
        why = missing_credentials(n, env, ledger)
        if why is None:
            usable.append(n)
        else:
            skipped.append((n, why))
    if not usable:
        what = "; ".join(f"{n}: {why}{_hint(n, why)}" for n, why in skipped)
        fix = (
            "record a ledger with a live run first"
            if names == ("replay",)
            else f"provide it, or end the chain in rules or neutral ({chain_text(names)},rules)"
        )
        raise ConfigError(f"{role} {chain_text(names)} cannot start: {what}; {fix}")
    return ResolvedChain(names, tuple(usable), tuple(skipped))


def _hint(name: str, why: str) -> str:
    needs = PROVIDERS[name].needs
    return "" if needs in why else f" (needs {needs})"


def describe(names: tuple[str, ...] = PROVIDER_NAMES) -> str:
    """``name (needs ...)`` for --help texts."""
    return ", ".join(
        n if PROVIDERS[n].needs == "nothing" else f"{n} ({PROVIDERS[n].needs})" for n in names
    )
