"""Configuration from the environment: defaults, and startup errors that name the variable."""

from __future__ import annotations

import pytest

from judge.__main__ import main as judge_main
from judge.errors import ConfigError
from judge.settings import DEFAULT_OPENAI_MODEL, JudgeSettings, load_settings
from tests.support.judge_app import TOKEN

VARIABLES = [
    "JUDGE_TOKEN",
    "JUDGE_BACKEND",
    "JUDGE_MODEL",
    "JUDGE_BASE_URL",
    "JUDGE_API_KEY",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "JUDGE_TEMPERATURE",
    "JUDGE_MAX_TOKENS",
    "INSTRUCTS",
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUDGE_TOKEN", TOKEN)
    return monkeypatch


def test_openai_defaults_to_the_papers_judge(env: pytest.MonkeyPatch) -> None:
    env.setenv("OPENAI_API_KEY", "sk-test")
    settings = load_settings()
    assert settings.backend == "openai"
    assert settings.resolved_model == DEFAULT_OPENAI_MODEL == "gpt-4o-2024-05-13"
    assert settings.temperature == 0.0
    assert settings.max_tokens == 3000  # the reference's cap
    assert settings.resolved_api_key == "sk-test"


def test_max_tokens_from_the_environment(env: pytest.MonkeyPatch) -> None:
    env.setenv("OPENAI_API_KEY", "sk-test")
    env.setenv("JUDGE_MAX_TOKENS", "512")
    assert load_settings().max_tokens == 512


def test_empty_variables_count_as_unset(env: pytest.MonkeyPatch) -> None:
    env.setenv("OPENAI_API_KEY", "sk-test")
    for name in ("JUDGE_MODEL", "JUDGE_BASE_URL", "JUDGE_API_KEY", "INSTRUCTS"):
        env.setenv(name, "")
    settings = load_settings()
    assert settings.resolved_model == DEFAULT_OPENAI_MODEL
    assert settings.base_url is None and settings.instructs is None
    assert settings.resolved_api_key == "sk-test"


def test_judge_api_key_wins(env: pytest.MonkeyPatch) -> None:
    env.setenv("OPENAI_API_KEY", "sk-provider")
    env.setenv("JUDGE_API_KEY", "sk-judge")
    assert load_settings().resolved_api_key == "sk-judge"


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"OPENAI_API_KEY": "k", "JUDGE_TOKEN": None}, "JUDGE_TOKEN is not set"),
        ({}, "OPENAI_API_KEY is not set"),
        ({"JUDGE_BACKEND": "anthropic", "JUDGE_MODEL": "claude-x"}, "ANTHROPIC_API_KEY is not set"),
        ({"JUDGE_BACKEND": "anthropic", "ANTHROPIC_API_KEY": "k"}, "JUDGE_MODEL is not set"),
        (
            {"JUDGE_BACKEND": "openai-compatible", "JUDGE_MODEL": "llava"},
            "JUDGE_BASE_URL is not set",
        ),
        ({"JUDGE_BACKEND": "gemini"}, "JUDGE_BACKEND: Input should be"),
        (
            {
                "JUDGE_BACKEND": "anthropic",
                "JUDGE_MODEL": "c",
                "ANTHROPIC_API_KEY": "k",
                "JUDGE_TEMPERATURE": "0",
            },
            "JUDGE_TEMPERATURE cannot be used",
        ),
        ({"OPENAI_API_KEY": "k", "JUDGE_CONCURRENCY": "0"}, "JUDGE_CONCURRENCY: Input should be"),
        ({"OPENAI_API_KEY": "k", "JUDGE_MAX_TOKENS": "0"}, "JUDGE_MAX_TOKENS: Input should be"),
    ],
)
def test_bad_configuration_names_the_variable(
    env: pytest.MonkeyPatch, variables: dict[str, str | None], named: str
) -> None:
    for name, value in variables.items():
        if value is None:
            env.delenv(name)
        else:
            env.setenv(name, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_openai_compatible_needs_no_key(env: pytest.MonkeyPatch) -> None:
    env.setenv("JUDGE_BACKEND", "openai-compatible")
    env.setenv("JUDGE_MODEL", "llava")
    env.setenv("JUDGE_BASE_URL", "http://ollama:11434/v1")
    settings = load_settings()
    assert settings.resolved_api_key is None
    assert isinstance(settings, JudgeSettings)


def test_python_m_judge_refuses_to_start_without_a_token(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.delenv("JUDGE_TOKEN")
    assert judge_main() == 2
    assert "judge cannot start: JUDGE_TOKEN is not set" in capsys.readouterr().err
