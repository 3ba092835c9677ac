"""When a run starts its own judge, and what of the caller's environment reaches it."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.bench.local_judge import JUDGE_CACHE_PATH, judge_environment, judge_wanted


@pytest.mark.parametrize(
    ("environ", "wanted"),
    [
        ({}, False),
        ({"OPENAI_API_KEY": "sk"}, True),  # the paper's judge
        ({"ANTHROPIC_API_KEY": "k"}, False),  # a generation key alone chooses no judge
        ({"ANTHROPIC_API_KEY": "k", "JUDGE_BACKEND": "anthropic"}, True),
        ({"JUDGE_BACKEND": "anthropic", "JUDGE_API_KEY": "k"}, True),
        ({"JUDGE_BACKEND": "openai-compatible"}, False),
        ({"JUDGE_BACKEND": "openai-compatible", "JUDGE_BASE_URL": "http://vllm/v1"}, True),
    ],
)
def test_a_judge_is_started_when_a_backend_is_configured(
    environ: dict[str, str], wanted: bool
) -> None:
    assert judge_wanted(environ) is wanted


def test_the_judge_gets_its_own_variables_and_keys_only() -> None:
    environ = {
        "PATH": "/bin",
        "OPENAI_API_KEY": "sk-judge",
        "JUDGE_MODEL": "gpt-4o",
        "JUDGE_TOKEN": "the-callers",
        "JUDGE_URL": "http://elsewhere",
        "OPENAI_COMPATIBLE_API_KEY": "generation-secret",
        "EXECUTOR_TOKEN": "executor-secret",
        "MODEL": "llama-70b",
    }
    env = judge_environment(environ, token="t", port=4321, instructs=Path("/x/instructs.json"))
    assert env == {
        "PATH": "/bin",
        "HOME": "/root",
        "JUDGE_CACHE_PATH": str(JUDGE_CACHE_PATH),
        "OPENAI_API_KEY": "sk-judge",
        "JUDGE_MODEL": "gpt-4o",
        "INSTRUCTS": "/x/instructs.json",
        "JUDGE_TOKEN": "t",
        "JUDGE_HOST": "127.0.0.1",
        "JUDGE_PORT": "4321",
    }


def test_a_cache_path_of_the_callers_wins() -> None:
    env = judge_environment(
        {"JUDGE_CACHE_PATH": "/tmp/c.sqlite3"}, token="t", port=1, instructs=None
    )
    assert env["JUDGE_CACHE_PATH"] == "/tmp/c.sqlite3" and "INSTRUCTS" not in env
