"""The real judge app (in-process) against the LLM stand-in over real HTTP: both wire
formats, what each request carries, retries, fail-fast errors and the cache."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from pathlib import Path

import httpx
import pytest

from judge.prompts import DEFAULT_INSTRUCTIONS
from orchestrator.common.processes import free_port
from tests.support.judge_app import AUTH, SettingsFactory, serving, task_body, visual_body
from tests.support.llm_server import HttpError, Reply, StandinLLM

pytestmark = pytest.mark.anyio


def instructs_file(tmp_path: Path, system_prompt: str | None = None) -> Path:
    """An upstream-format INSTRUCTS file, with a system prompt when one is given."""
    texts = {"judge_instruct_vis": "VIS PROMPT", "judge_instruct_task": "TASK PROMPT"}
    if system_prompt is not None:
        texts["system_prompt"] = system_prompt
    path = tmp_path / f"instructs-{system_prompt}.json"
    path.write_text(json.dumps(texts))
    return path


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
async def test_visual_sends_generated_then_reference(
    make_settings: SettingsFactory, llm: StandinLLM, backend: str
) -> None:
    llm.push("[FINAL SCORE]: 73")
    body = visual_body(seed=7)
    settings = make_settings(backend=backend, model="judge-model")
    async with serving(settings) as judge:
        response = await judge.post("/v1/judgements", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["score"] == 73
    assert result["raw"] == "[FINAL SCORE]: 73"
    assert result["judge"] == f"{backend}:judge-model"
    assert result["cached"] is False
    assert result["latency_s"] >= 0
    (sent,) = llm.requests
    assert sent.wire == backend
    assert sent.model == "judge-model"
    assert sent.texts == [DEFAULT_INSTRUCTIONS.visual]
    expected = [base64.b64decode(body["images"][0]), base64.b64decode(body["reference_images"][0])]
    assert sent.images == expected
    assert sent.image_media_types == ["image/png", "image/png"]
    assert sent.body["max_tokens"] == 3000  # the reference's cap, by default
    assert sent.system is None  # the default instructions have no system message
    assert [message["role"] for message in sent.body["messages"]] == ["user"]
    if backend == "openai":
        assert sent.body["temperature"] == 0.0


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
async def test_instructs_system_prompt_is_the_system_message(
    make_settings: SettingsFactory, llm: StandinLLM, tmp_path: Path, backend: str
) -> None:
    path = instructs_file(tmp_path, system_prompt="You write plotting code.")
    settings = make_settings(backend=backend, model="judge-model", instructs=path)
    async with serving(settings) as judge:
        await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
        await judge.post("/v1/judgements", json=task_body("T1"), headers=AUTH)
    roles = ["system", "user"] if backend == "openai" else ["user"]  # anthropic: `system`
    for sent in llm.requests:
        assert sent.system == "You write plotting code."
        assert [message["role"] for message in sent.body["messages"]] == roles
    assert len(llm.requests) == 2


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
async def test_task_sends_every_image_and_only_its_own_task(
    make_settings: SettingsFactory, llm: StandinLLM, backend: str
) -> None:
    llm.push("64", "[FINAL SCORE]: 12")
    first = task_body("Plot sales as bars.\nMinimal style.", seed=1)
    second = task_body("Plot a pie of regions.\nNo legend.", seed=2)
    async with serving(make_settings(backend=backend, model="judge-model")) as judge:
        one = await judge.post("/v1/judgements", json=first, headers=AUTH)
        two = await judge.post("/v1/judgements", json=second, headers=AUTH)
    assert [one.json()["score"], two.json()["score"]] == [64, 12]
    for sent, body in zip(llm.requests, [first, second], strict=True):
        assert sent.texts == [f"{DEFAULT_INSTRUCTIONS.task}\n[PLOT TASK]:\n{body['task']}"]
        assert sent.images == [base64.b64decode(image) for image in body["images"]]
    assert "sales" not in llm.requests[1].texts[0]


async def test_openai_compatible_endpoint(make_settings: SettingsFactory, llm: StandinLLM) -> None:
    llm.api_key = "no-key"  # what the judge sends when JUDGE_API_KEY is unset
    settings = make_settings(backend="openai-compatible", model="llava:13b", api_key=None)
    async with serving(settings) as judge:
        response = await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
        health = (await judge.get("/healthz")).json()
    assert response.json()["judge"] == "openai-compatible:llava:13b"
    assert health["backend"] == "openai-compatible"
    assert health["base_url"] == f"{llm.url}/v1"


async def test_a_reply_without_a_score_keeps_the_raw_text(
    judge_http: httpx.AsyncClient, llm: StandinLLM
) -> None:
    llm.push("I cannot see any plot here.")
    response = await judge_http.post("/v1/judgements", json=visual_body(), headers=AUTH)
    assert response.status_code == 200
    assert response.json()["score"] is None
    assert response.json()["raw"] == "I cannot see any plot here."


async def test_retries_429_and_500_then_scores(
    make_settings: SettingsFactory, llm: StandinLLM
) -> None:
    llm.push(HttpError(429, "slow down", retry_after="0"), HttpError(500), "[FINAL SCORE]: 90")
    async with serving(make_settings(max_attempts=3)) as judge:
        response = await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["score"] == 90
    assert len(llm.requests) == 3


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
async def test_retries_every_status_the_providers_retry(
    make_settings: SettingsFactory, llm: StandinLLM, backend: str
) -> None:
    llm.push(HttpError(408), HttpError(409), HttpError(425), "[FINAL SCORE]: 90")
    settings = make_settings(backend=backend, model="judge-model", max_attempts=4)
    async with serving(settings) as judge:
        response = await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["score"] == 90
    assert len(llm.requests) == 4


async def test_retries_a_timeout(make_settings: SettingsFactory, llm: StandinLLM) -> None:
    llm.push(Reply("[FINAL SCORE]: 1", delay_s=1.0), "[FINAL SCORE]: 60")
    async with serving(make_settings(timeout_s=0.3)) as judge:
        response = await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
    assert response.json()["score"] == 60
    assert len(llm.requests) == 2


async def test_lasting_outage_is_503_and_not_cached(
    make_settings: SettingsFactory, llm: StandinLLM
) -> None:
    llm.push(*[HttpError(503, "overloaded", retry_after="0")] * 3)
    async with serving(make_settings(max_attempts=3)) as judge:
        failed = await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
        again = await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
    assert failed.status_code == 503
    assert failed.headers["retry-after"] == "0"
    detail = failed.json()["detail"]
    assert "unavailable" in detail and "HTTP 503" in detail and "3 attempts" in detail
    assert "score" not in failed.json()
    assert again.status_code == 200 and again.json()["cached"] is False
    assert len(llm.requests) == 4


async def test_wrong_key_fails_fast_with_502(
    make_settings: SettingsFactory, llm: StandinLLM
) -> None:
    async with serving(make_settings(api_key="wrong-key", max_attempts=5)) as judge:
        response = await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
    assert response.status_code == 502
    assert "HTTP 401" in response.json()["detail"]
    assert "OPENAI_API_KEY or JUDGE_API_KEY" in response.json()["detail"]
    assert llm.refused == 1 and llm.requests == []


@pytest.mark.parametrize("backend", ["openai", "anthropic"])
async def test_unknown_model_fails_fast_with_502(
    make_settings: SettingsFactory, llm: StandinLLM, backend: str
) -> None:
    llm.push(HttpError(404, "model 'gpt-5o' does not exist"))
    async with serving(make_settings(backend=backend, model="gpt-5o", max_attempts=5)) as judge:
        response = await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
    assert response.status_code == 502
    detail = response.json()["detail"]
    assert "HTTP 404" in detail and "'gpt-5o'" in detail and "JUDGE_MODEL" in detail
    assert len(llm.requests) == 1


async def test_unreachable_backend_is_503(make_settings: SettingsFactory) -> None:
    settings = make_settings(base_url=f"http://127.0.0.1:{free_port()}/v1", max_attempts=2)
    async with serving(settings) as judge:
        response = await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
    assert response.status_code == 503
    assert "cannot reach" in response.json()["detail"]


async def test_cache_hits_and_misses(make_settings: SettingsFactory, llm: StandinLLM) -> None:
    llm.push("10", "20", "30")
    async with serving(make_settings()) as judge:

        async def ask(body: dict[str, object]) -> dict[str, object]:
            response = await judge.post("/v1/judgements", json=body, headers=AUTH)
            assert response.status_code == 200, response.text
            result: dict[str, object] = response.json()
            return result

        first = await ask(visual_body(seed=1))
        repeat = await ask(visual_body(seed=1))
        other_image = await ask(visual_body(seed=2))
        other_mode = await ask(task_body(seed=1))
        health = (await judge.get("/healthz")).json()
    assert (first["score"], first["cached"]) == (10, False)
    assert (repeat["score"], repeat["cached"], repeat["raw"]) == (10, True, "10")
    assert (other_image["score"], other_image["cached"]) == (20, False)
    assert (other_mode["score"], other_mode["cached"]) == (30, False)
    assert len(llm.requests) == 3
    assert health["cache_entries"] == 3


async def test_cache_key_includes_the_model(
    make_settings: SettingsFactory, llm: StandinLLM
) -> None:
    llm.push("10", "20")
    async with serving(make_settings(model="model-a")) as judge:
        a = (await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)).json()
    async with serving(make_settings(model="model-b")) as judge:
        b = (await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)).json()
    assert (a["score"], b["score"], b["cached"]) == (10, 20, False)


async def test_cache_key_includes_the_system_message(
    make_settings: SettingsFactory, llm: StandinLLM, tmp_path: Path
) -> None:
    llm.push("10", "20", "30")
    results = []
    for system_prompt in ["System A.", "System B.", None, "System A."]:
        settings = make_settings(instructs=instructs_file(tmp_path, system_prompt))
        async with serving(settings) as judge:
            response = await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
        results.append((response.json()["score"], response.json()["cached"]))
    assert results == [(10, False), (20, False), (30, False), (10, True)]
    assert [sent.system for sent in llm.requests] == ["System A.", "System B.", None]


async def test_cache_survives_a_restart(make_settings: SettingsFactory, llm: StandinLLM) -> None:
    llm.push("[FINAL SCORE]: 44")
    async with serving(make_settings()) as judge:
        first = (await judge.post("/v1/judgements", json=task_body(), headers=AUTH)).json()
    async with serving(make_settings()) as judge:
        rerun = (await judge.post("/v1/judgements", json=task_body(), headers=AUTH)).json()
    assert (first["cached"], rerun["cached"]) == (False, True)
    assert rerun["score"] == 44 and rerun["raw"] == "[FINAL SCORE]: 44"
    assert len(llm.requests) == 1


async def test_concurrent_duplicates_make_one_backend_call(
    make_settings: SettingsFactory, llm: StandinLLM
) -> None:
    llm.push(Reply("[FINAL SCORE]: 81", delay_s=0.3))
    async with serving(make_settings()) as judge:
        responses = await asyncio.gather(
            *[judge.post("/v1/judgements", json=visual_body(), headers=AUTH) for _ in range(6)]
        )
    results = [response.json() for response in responses]
    assert [result["score"] for result in results] == [81] * 6
    assert sorted(result["cached"] for result in results) == [False] + [True] * 5
    assert len(llm.requests) == 1


async def test_concurrency_cap_per_backend(make_settings: SettingsFactory, llm: StandinLLM) -> None:
    llm.push(*[Reply("5", delay_s=0.1)] * 4)
    async with serving(make_settings(concurrency=2)) as judge:
        responses = await asyncio.gather(
            *[
                judge.post("/v1/judgements", json=visual_body(seed=seed), headers=AUTH)
                for seed in range(4)
            ]
        )
    assert all(response.status_code == 200 for response in responses)
    assert len(llm.requests) == 4
    assert llm.peak_in_flight <= 2


async def test_instructs_file_is_used(
    make_settings: SettingsFactory, llm: StandinLLM, tmp_path: Path
) -> None:
    path = instructs_file(tmp_path)
    async with serving(make_settings(instructs=path)) as judge:
        await judge.post("/v1/judgements", json=visual_body(), headers=AUTH)
        await judge.post("/v1/judgements", json=task_body("T1"), headers=AUTH)
        health = (await judge.get("/healthz")).json()
    assert [sent.texts for sent in llm.requests] == [
        ["VIS PROMPT"],
        ["TASK PROMPT\n[PLOT TASK]:\nT1"],
    ]
    assert [sent.system for sent in llm.requests] == [None, None]
    assert health["instructions"] == str(path)
    assert health["instructions_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert health["system_message"] is False


@pytest.mark.parametrize(("backend", "temperature"), [("openai", 0.0), ("anthropic", None)])
async def test_health_reports_what_a_run_records(
    make_settings: SettingsFactory, tmp_path: Path, backend: str, temperature: float | None
) -> None:
    path = instructs_file(tmp_path, system_prompt="You write plotting code.")
    async with serving(make_settings(backend=backend, model="judge-model")) as judge:
        default = (await judge.get("/healthz")).json()
    settings = make_settings(backend=backend, model="judge-model", instructs=path, max_tokens=700)
    async with serving(settings) as judge:
        configured = (await judge.get("/healthz")).json()
    assert default["instructions"] == "default"
    assert default["instructions_sha256"] == DEFAULT_INSTRUCTIONS.sha256
    assert default["system_message"] is False
    assert (default["temperature"], default["max_tokens"]) == (temperature, 3000)
    assert configured["instructions_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert configured["system_message"] is True
    assert (configured["temperature"], configured["max_tokens"]) == (temperature, 700)
    assert {"backend", "model", "judge", "base_url", "cache_entries", "concurrency"} <= set(default)
