"""Fixtures for the judge: a served LLM stand-in, settings pointing at it, and the real app
in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from judge.settings import JudgeSettings
from tests.support.judge_app import TOKEN, SettingsFactory, serving
from tests.support.llm_server import StandinLLM


@pytest.fixture
def llm() -> Iterator[StandinLLM]:
    with StandinLLM(default_reply="[FINAL SCORE]: 50") as standin:
        yield standin


@pytest.fixture
def make_settings(tmp_path: Path, llm: StandinLLM) -> SettingsFactory:
    """Settings pointing an OpenAI backend at the stand-in, with fast retries."""

    def make(**overrides: Any) -> JudgeSettings:
        backend = overrides.get("backend", "openai")
        fields: dict[str, Any] = {
            "token": TOKEN,
            "backend": backend,
            "base_url": llm.url if backend == "anthropic" else f"{llm.url}/v1",
            "api_key": llm.api_key,
            "cache_path": tmp_path / "judge-cache.sqlite3",
            "retry_base_wait_s": 0.01,
            "max_retry_wait_s": 0.05,
            "max_attempts": 3,
            "timeout_s": 10.0,
        }
        fields.update(overrides)
        return JudgeSettings.from_fields(fields)

    return make


@pytest.fixture
async def judge_http(make_settings: SettingsFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(make_settings()) as client:
        yield client
