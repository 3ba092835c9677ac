"""The model registry: aliases, raw provider:model-id names, and the errors for bad input."""

from __future__ import annotations

import pytest

from orchestrator.bench.models.registry import (
    LOCAL_MODEL_ALIAS,
    REGISTRY,
    MissingSettingError,
    Provider,
    RegistryError,
    UnknownModelError,
    resolve_model,
)

ISSUE_ALIASES = {
    "llama-70b",
    "llama-405b",
    "llama-8b",
    "llama-3b",
    "llama-1b",
    "gpt-4o",
    "claude-3.5-sonnet",
    "claude-3-opus",
    "claude-3-haiku",
    "qwen-coder-1.5b",
}


def test_every_alias_the_issue_names_is_registered() -> None:
    assert set(REGISTRY) == ISSUE_ALIASES


@pytest.mark.parametrize(
    ("alias", "provider", "model_id"),
    [
        ("llama-70b", Provider.OPENAI_COMPATIBLE, "meta-llama/Llama-3.1-70B-Instruct"),
        ("llama-1b", Provider.OPENAI_COMPATIBLE, "meta-llama/Llama-3.2-1B-Instruct"),
        ("gpt-4o", Provider.OPENAI, "gpt-4o-2024-05-13"),
        ("claude-3-haiku", Provider.ANTHROPIC, "claude-3-haiku-20240307"),
    ],
)
def test_alias_maps_to_provider_and_dated_model_id(
    alias: str, provider: Provider, model_id: str
) -> None:
    spec = resolve_model(alias)
    assert (spec.provider, spec.model_id) == (provider, model_id)
    assert spec.provider_model == f"{provider}:{model_id}"


@pytest.mark.parametrize(
    ("name", "provider", "model_id"),
    [
        ("openai:gpt-4o-mini", Provider.OPENAI, "gpt-4o-mini"),
        ("anthropic:claude-3-5-haiku-20241022", Provider.ANTHROPIC, "claude-3-5-haiku-20241022"),
        (
            "openai-compatible:meta-llama/Llama-3.1-8B-Instruct",
            Provider.OPENAI_COMPATIBLE,
            "meta-llama/Llama-3.1-8B-Instruct",
        ),
        ("openai-compatible:qwen2.5-coder:1.5b", Provider.OPENAI_COMPATIBLE, "qwen2.5-coder:1.5b"),
    ],
)
def test_raw_provider_model_id(name: str, provider: Provider, model_id: str) -> None:
    spec = resolve_model(name)
    assert (spec.alias, spec.provider, spec.model_id) == (name, provider, model_id)
    assert not spec.served_locally


def test_unknown_alias_lists_the_known_ones() -> None:
    with pytest.raises(UnknownModelError) as raised:
        resolve_model("gpt-5-ultra")
    message = str(raised.value)
    assert "'gpt-5-ultra'" in message
    for alias in ISSUE_ALIASES:
        assert alias in message
    assert "provider:model-id" in message


def test_unknown_provider_lists_the_providers() -> None:
    with pytest.raises(UnknownModelError, match=r"'gemini'.*openai, anthropic, openai-compatible"):
        resolve_model("gemini:gemini-1.5-pro")


def test_empty_model_id_is_unknown() -> None:
    with pytest.raises(UnknownModelError):
        resolve_model("openai:")


@pytest.mark.parametrize(
    ("name", "variable"),
    [("gpt-4o", "OPENAI_API_KEY"), ("claude-3-opus", "ANTHROPIC_API_KEY")],
)
def test_missing_key_names_the_variable(name: str, variable: str) -> None:
    with pytest.raises(MissingSettingError, match=f"set {variable}"):
        resolve_model(name).endpoint({})


def test_missing_base_url_names_the_variable() -> None:
    env = {"OPENAI_COMPATIBLE_API_KEY": "k"}
    with pytest.raises(MissingSettingError, match="set OPENAI_COMPATIBLE_BASE_URL"):
        resolve_model("llama-70b").endpoint(env)


def test_missing_key_for_openai_compatible_names_the_variable() -> None:
    env = {"OPENAI_COMPATIBLE_BASE_URL": "http://127.0.0.1:8000/v1"}
    with pytest.raises(MissingSettingError, match="set OPENAI_COMPATIBLE_API_KEY"):
        resolve_model("openai-compatible:m").endpoint(env)


def test_blank_values_count_as_missing() -> None:
    with pytest.raises(MissingSettingError, match="OPENAI_API_KEY"):
        resolve_model("gpt-4o").endpoint({"OPENAI_API_KEY": "  "})


def test_endpoint_defaults_and_overrides() -> None:
    assert resolve_model("gpt-4o").endpoint({"OPENAI_API_KEY": "k"}).base_url == (
        "https://api.openai.com/v1"
    )
    env = {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/"}
    endpoint = resolve_model("claude-3-haiku").endpoint(env)
    assert (endpoint.base_url, endpoint.api_key) == ("http://127.0.0.1:9", "k")


def test_local_default_is_served_locally_one_request_at_a_time() -> None:
    spec = resolve_model(LOCAL_MODEL_ALIAS)
    assert spec.served_locally and spec.concurrency == 1
    assert spec.provider is Provider.OPENAI_COMPATIBLE
    with pytest.raises(RegistryError, match="LocalModelServer"):
        spec.endpoint({})
