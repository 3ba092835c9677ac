"""The model registry: what `MODEL=` may name, and where each model's endpoint comes from.

A name is either a registry alias (`llama-70b`, `gpt-4o`, `qwen-coder-1.5b`, ...) or a raw
`provider:model-id` such as `openai:gpt-4o-mini`. Endpoints and keys come only from the
environment, through the variables each provider names here; `endpoint()` says which one is
missing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from orchestrator.bench.errors import RunStopped


class RegistryError(RunStopped, ValueError):
    """A model name or its environment is unusable; the message says what to set or pick."""


class UnknownModelError(RegistryError):
    pass


class MissingSettingError(RegistryError):
    pass


class Provider(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    OPENAI_COMPATIBLE = "openai-compatible"


@dataclass(frozen=True)
class ProviderEnv:
    """The environment variables that locate one provider's endpoint."""

    base_url_var: str
    api_key_var: str
    default_base_url: str | None  # None: the base URL must be set
    default_concurrency: int


PROVIDER_ENV: dict[Provider, ProviderEnv] = {
    Provider.OPENAI: ProviderEnv(
        "OPENAI_BASE_URL", "OPENAI_API_KEY", "https://api.openai.com/v1", 8
    ),
    Provider.ANTHROPIC: ProviderEnv(
        "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "https://api.anthropic.com", 4
    ),
    Provider.OPENAI_COMPATIBLE: ProviderEnv(
        "OPENAI_COMPATIBLE_BASE_URL", "OPENAI_COMPATIBLE_API_KEY", None, 8
    ),
}

LOCAL_MODEL_ALIAS = "qwen-coder-1.5b"
# llama.cpp's server ignores the model field and accepts any key; these only fill the request.
LOCAL_MODEL_ID = "qwen2.5-coder-1.5b-instruct"
LOCAL_API_KEY = "local"


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    api_key: str


@dataclass(frozen=True)
class ModelSpec:
    alias: str  # what the user typed (an alias, or the raw provider:model-id)
    provider: Provider
    model_id: str
    concurrency: int  # requests in flight at once against this provider
    timeout_s: float = 180.0  # one request, before it counts as a timeout and is retried
    # The reference's cap for API models (its OpenAI and Together engines); a reply that
    # hits it is marked. Anthropic requires one.
    max_output_tokens: int = 3000
    served_locally: bool = False  # the bench starts the local llama.cpp server for it

    @property
    def provider_model(self) -> str:
        """The unambiguous `provider:model-id` form, as stored in results."""
        return f"{self.provider}:{self.model_id}"

    def endpoint(self, env: Mapping[str, str] | None = None) -> Endpoint:
        """The base URL and key from `env` (default: the process environment).

        Not for a locally served model: its endpoint is the server the bench starts.
        """
        if self.served_locally:
            raise RegistryError(
                f"{self.alias} is served by the local llama.cpp server; take its endpoint "
                "from LocalModelServer.endpoint, not from the environment"
            )
        env = os.environ if env is None else env
        names = PROVIDER_ENV[self.provider]
        base_url = env.get(names.base_url_var, "").strip() or names.default_base_url
        if base_url is None:
            raise MissingSettingError(
                f"MODEL={self.alias} needs an OpenAI-compatible endpoint: set "
                f"{names.base_url_var} (e.g. http://localhost:8000/v1 for vLLM, "
                f"https://api.together.xyz/v1, https://openrouter.ai/api/v1)"
            )
        api_key = env.get(names.api_key_var, "").strip()
        if not api_key:
            raise MissingSettingError(
                f"MODEL={self.alias} needs an API key: set {names.api_key_var}"
                + (
                    " (any placeholder such as 'none' if the server needs no key)"
                    if self.provider is Provider.OPENAI_COMPATIBLE
                    else ""
                )
            )
        return Endpoint(base_url=base_url.rstrip("/"), api_key=api_key)


def _alias(alias: str, provider: Provider, model_id: str) -> ModelSpec:
    return ModelSpec(alias, provider, model_id, PROVIDER_ENV[provider].default_concurrency)


# Llama ids are the Hugging Face repo names, which vLLM serves as-is; hosts that rename them
# (Together, OpenRouter) are reached with the raw form, e.g.
# openai-compatible:meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo.
REGISTRY: dict[str, ModelSpec] = {
    spec.alias: spec
    for spec in (
        _alias("llama-405b", Provider.OPENAI_COMPATIBLE, "meta-llama/Llama-3.1-405B-Instruct"),
        _alias("llama-70b", Provider.OPENAI_COMPATIBLE, "meta-llama/Llama-3.1-70B-Instruct"),
        _alias("llama-8b", Provider.OPENAI_COMPATIBLE, "meta-llama/Llama-3.1-8B-Instruct"),
        _alias("llama-3b", Provider.OPENAI_COMPATIBLE, "meta-llama/Llama-3.2-3B-Instruct"),
        _alias("llama-1b", Provider.OPENAI_COMPATIBLE, "meta-llama/Llama-3.2-1B-Instruct"),
        # The snapshot the reference code pins for GPT-4o.
        _alias("gpt-4o", Provider.OPENAI, "gpt-4o-2024-05-13"),
        _alias("claude-3.5-sonnet", Provider.ANTHROPIC, "claude-3-5-sonnet-20241022"),
        _alias("claude-3-opus", Provider.ANTHROPIC, "claude-3-opus-20240229"),
        _alias("claude-3-haiku", Provider.ANTHROPIC, "claude-3-haiku-20240307"),
        # Two cores generate ~9 tokens/s: one request at a time, a long timeout, and a cap
        # that stops a looping reply within minutes.
        ModelSpec(
            LOCAL_MODEL_ALIAS,
            Provider.OPENAI_COMPATIBLE,
            LOCAL_MODEL_ID,
            concurrency=1,
            timeout_s=900.0,
            max_output_tokens=2048,
            served_locally=True,
        ),
    )
}


def resolve_model(name: str) -> ModelSpec:
    """The spec for a registry alias or a raw `provider:model-id`."""
    name = name.strip()
    if name in REGISTRY:
        return REGISTRY[name]
    provider_name, sep, model_id = name.partition(":")
    if sep and model_id.strip():
        try:
            provider = Provider(provider_name.strip())
        except ValueError:
            raise UnknownModelError(
                f"unknown provider {provider_name!r} in MODEL={name}; providers: "
                + ", ".join(p.value for p in Provider)
            ) from None
        return _alias(name, provider, model_id.strip())
    raise UnknownModelError(
        f"unknown model {name!r}; known aliases: {', '.join(REGISTRY)}; "
        "or give provider:model-id with provider one of " + ", ".join(p.value for p in Provider)
    )
