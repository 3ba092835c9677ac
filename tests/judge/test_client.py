"""JudgeClient against the real app (in-process and as a `python -m judge` process)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from judge.api import JudgementRequest
from judge.app import create_app
from judge.client import JudgeClient, JudgeMisconfigured, JudgeRejected, JudgeUnavailable
from orchestrator.common.processes import free_port
from tests.support.judge_app import TOKEN, SettingsFactory, png
from tests.support.judge_process import judge_process
from tests.support.llm_server import HttpError, StandinLLM

pytestmark = pytest.mark.anyio

VISUAL = JudgementRequest.for_visual(png(seed=1), png(seed=2))


@asynccontextmanager
async def in_process(
    settings_factory: SettingsFactory, **overrides: object
) -> AsyncIterator[httpx.ASGITransport]:
    """The real app, lifespan included, as a transport for JudgeClient."""
    app = create_app(settings_factory(**overrides))
    async with app.router.lifespan_context(app):
        yield httpx.ASGITransport(app=app)


async def test_client_judges(make_settings: SettingsFactory, llm: StandinLLM) -> None:
    llm.push("[FINAL SCORE]: 58")
    request = JudgementRequest.for_task(
        [png(seed=3), png(seed=4)], " Plot sales per year.\n", "Use a dark theme."
    )
    async with (
        in_process(make_settings) as transport,
        JudgeClient("http://judge", TOKEN, transport=transport) as client,
    ):
        response = await client.judge(request)
        health = await client.health()
    assert (response.score, response.cached) == (58, False)
    assert (
        llm.requests[0]
        .texts[0]
        .endswith("[PLOT TASK]:\n Plot sales per year.\n\nUse a dark theme.")
    )
    assert health.judge == response.judge == "openai:gpt-4o-2024-05-13"


async def test_client_raises_rejected_on_4xx_and_misconfigured_on_a_refused_token(
    make_settings: SettingsFactory,
) -> None:
    bad = JudgementRequest(mode="visual", images=["bm90IGEgcG5n"], reference_images=["eA=="])
    async with in_process(make_settings) as transport:
        async with JudgeClient("http://judge", TOKEN, transport=transport) as client:
            with pytest.raises(JudgeRejected, match=r"HTTP 422.*images\[0\]: not a PNG") as no:
                await client.judge(bad)
        async with JudgeClient("http://judge", "wrong", transport=transport) as client:
            with pytest.raises(JudgeMisconfigured, match=r"HTTP 401.*JUDGE_TOKEN"):
                await client.judge(VISUAL)
    assert no.value.status == 422


async def test_client_retries_a_503(make_settings: SettingsFactory, llm: StandinLLM) -> None:
    llm.push(HttpError(500), "[FINAL SCORE]: 66")
    async with (
        in_process(make_settings, max_attempts=1) as transport,  # the judge gives up at once
        JudgeClient(
            "http://judge", TOKEN, transport=transport, max_attempts=2, base_wait_s=0.01
        ) as client,
    ):
        response = await client.judge(VISUAL)
    assert response.score == 66
    assert len(llm.requests) == 2


async def test_client_reports_a_lasting_outage(
    make_settings: SettingsFactory, llm: StandinLLM
) -> None:
    llm.push(*[HttpError(500)] * 2)
    async with (
        in_process(make_settings, max_attempts=1) as transport,
        JudgeClient(
            "http://judge", TOKEN, transport=transport, max_attempts=2, base_wait_s=0.01
        ) as client,
    ):
        with pytest.raises(JudgeUnavailable, match="after 2 attempts: HTTP 503"):
            await client.judge(VISUAL)


async def test_client_reports_a_502_without_retrying(
    make_settings: SettingsFactory, llm: StandinLLM
) -> None:
    async with (
        in_process(make_settings, api_key="wrong") as transport,
        JudgeClient("http://judge", TOKEN, transport=transport, max_attempts=3) as client,
    ):
        with pytest.raises(JudgeMisconfigured, match=r"HTTP 502.*HTTP 401"):
            await client.judge(VISUAL)
    assert llm.refused == 1


@pytest.mark.parametrize("status", [402, 404])
async def test_client_reports_a_misconfigured_judge(status: int) -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(status, json={"detail": "no"}))
    async with JudgeClient("http://judge", TOKEN, transport=transport) as client:
        with pytest.raises(JudgeMisconfigured, match=f"HTTP {status}"):
            await client.judge(VISUAL)


async def test_client_retries_a_malformed_reply_then_reports_it() -> None:
    replies = iter(
        [
            httpx.Response(200, text="<html>proxy error</html>"),
            httpx.Response(
                200,
                json={
                    "score": 70,
                    "raw": "[FINAL SCORE]: 70",
                    "judge": "x:y",
                    "cached": False,
                    "latency_s": 0.1,
                },
            ),
            *[httpx.Response(200, text='{"score": 7')] * 2,  # truncated
        ]
    )
    transport = httpx.MockTransport(lambda _: next(replies))
    async with JudgeClient(
        "http://judge", TOKEN, transport=transport, max_attempts=2, base_wait_s=0.01
    ) as client:
        assert (await client.judge(VISUAL)).score == 70
        with pytest.raises(JudgeUnavailable, match="after 2 attempts: malformed reply"):
            await client.judge(VISUAL)


async def test_client_reports_an_unreachable_service() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with JudgeClient(url, TOKEN, max_attempts=2, base_wait_s=0.01) as client:
        with pytest.raises(JudgeUnavailable, match="ConnectError"):
            await client.judge(VISUAL)


@pytest.fixture
def judge_url(llm: StandinLLM, tmp_path: Path) -> Iterator[str]:
    """`python -m judge` as a real process on loopback, configured only by environment."""
    settings = {
        "JUDGE_TOKEN": TOKEN,
        "JUDGE_BACKEND": "anthropic",
        "JUDGE_MODEL": "claude-standin",
        "JUDGE_BASE_URL": llm.url,
        "ANTHROPIC_API_KEY": llm.api_key,
        "JUDGE_CACHE_PATH": str(tmp_path / "cache" / "judge.sqlite3"),
    }
    with judge_process(settings, tmp_path / "judge.log") as url:
        yield url


async def test_python_m_judge_serves_the_contract(judge_url: str, llm: StandinLLM) -> None:
    llm.push("[FINAL SCORE]: 35")
    async with JudgeClient(judge_url, TOKEN) as client:
        health = await client.health()
        first = await client.judge(VISUAL)
        rerun = await client.judge(VISUAL)
    assert health.backend == "anthropic" and health.model == "claude-standin"
    assert (first.score, first.cached, rerun.cached) == (35, False, True)
    assert first.judge == "anthropic:claude-standin"
    assert len(llm.requests) == 1
