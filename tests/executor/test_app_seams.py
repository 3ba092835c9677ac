"""The executor's HTTP contract over a scripted sandbox provider: the real FastAPI app, its
lifespan and its pool, without a Docker engine (test_service_api.py runs real sandboxes)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from orchestrator.executor.api import (
    ExecutionError,
    ExecutionRequest,
    ExecutionResult,
    ExecutionStatus,
    Health,
)
from orchestrator.executor.app import create_app
from orchestrator.executor.settings import ExecutorSettings
from tests.support.fake_sandbox import RUNTIME, FakeSandboxProvider, Fate, ok_result
from tests.support.waiting import until

pytestmark = pytest.mark.anyio

TOKEN = "seam-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY_BYTES = 64 * 1024


@asynccontextmanager
async def serving(
    provider: FakeSandboxProvider, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    options = {"pool_size": 1, "max_concurrency": 1, "max_queue": 0, **settings}
    app = create_app(
        ExecutorSettings(token=SecretStr(TOKEN), max_body_bytes=MAX_BODY_BYTES, **options),
        provider=provider,
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client,
    ):
        yield client


def body(**overrides: object) -> dict[str, object]:
    return {"code": "print(1)", "files": {}, "timeout_s": 20, **overrides}


async def test_an_execution_runs_in_a_sandbox_and_answers_its_result() -> None:
    provider = FakeSandboxProvider()
    files = {"data.csv": base64.b64encode(b"a,b\n1,2\n").decode()}
    async with serving(provider) as client:
        response = await client.post(
            "/v1/executions", json=body(files=files, library="seaborn"), headers=AUTH
        )
    assert response.status_code == 200
    result = ExecutionResult.model_validate_json(response.content)
    assert result.images == ok_result().images
    assert result.stdout == "drawn\n"
    ((sandbox, request),) = provider.executions
    assert result.sandbox == sandbox
    assert request == ExecutionRequest(
        code="print(1)", files=files, library="seaborn", timeout_s=20
    )


async def test_failed_code_is_a_200_with_its_status() -> None:
    error = ExecutionError(ename="ZeroDivisionError", evalue="division by zero")
    provider = FakeSandboxProvider(
        script=[ExecutionResult(status=ExecutionStatus.ERROR, error=error)]
    )
    async with serving(provider) as client:
        response = await client.post("/v1/executions", json=body(), headers=AUTH)
    assert response.status_code == 200
    assert response.json()["status"] == "error"
    assert response.json()["error"]["ename"] == "ZeroDivisionError"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "x"}])
async def test_missing_or_wrong_token_is_401_and_runs_nothing(headers: dict[str, str]) -> None:
    provider = FakeSandboxProvider()
    async with serving(provider) as client:
        response = await client.post("/v1/executions", json=body(), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "EXECUTOR_TOKEN" in response.json()["detail"]
    assert provider.executions == []


async def test_oversized_body_is_413_and_runs_nothing() -> None:
    provider = FakeSandboxProvider()
    big = base64.b64encode(b"x" * MAX_BODY_BYTES).decode()
    async with serving(provider) as client:
        response = await client.post(
            "/v1/executions", json=body(files={"data.csv": big}), headers=AUTH
        )
    assert response.status_code == 413
    assert "EXECUTOR_MAX_BODY_BYTES" in response.json()["detail"]
    assert provider.executions == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{nope", "JSON"),
        (b'{"files": {}}', "code"),
        (b'{"code": "1", "files": {"../x": "eA=="}}', "plain name"),
        (b'{"code": "1", "timeout_s": 0}', "timeout_s"),
    ],
)
async def test_a_request_that_cannot_run_is_422_and_runs_nothing(
    content: bytes, message: str
) -> None:
    provider = FakeSandboxProvider()
    async with serving(provider) as client:
        response = await client.post(
            "/v1/executions",
            content=content,
            headers=AUTH | {"Content-Type": "application/json"},
        )
    assert response.status_code == 422
    assert message in response.text
    assert provider.executions == []


async def test_a_saturated_pool_answers_503_with_retry_after() -> None:
    provider = FakeSandboxProvider(script=[Fate.HANG])
    async with serving(provider) as client:
        first = asyncio.create_task(client.post("/v1/executions", json=body(), headers=AUTH))
        await until(lambda: provider.running == 1, "the first execution running")
        second = await client.post("/v1/executions", json=body(), headers=AUTH)
        assert second.status_code == 503
        assert second.headers["Retry-After"] == "5"  # a quarter of the 20 s timeout
        assert "busy" in second.json()["detail"]
        provider.release_hung()
        assert (await first).status_code == 200
    assert len(provider.executions) == 1


async def test_a_lost_sandbox_answers_503_never_a_result() -> None:
    provider = FakeSandboxProvider(script=[Fate.DIES])
    async with serving(provider) as client:
        response = await client.post("/v1/executions", json=body(), headers=AUTH)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.json()["detail"].startswith("no sandbox available: ")
        health = (await client.get("/healthz")).json()
    assert (health["executions"], health["failures"]) == (0, 0)


async def test_a_provider_that_cannot_start_answers_503_within_the_acquire_timeout() -> None:
    provider = FakeSandboxProvider(start_failures=10**9)
    async with serving(provider, acquire_timeout_s=0.3) as client:
        started = asyncio.get_running_loop().time()
        response = await client.post("/v1/executions", json=body(), headers=AUTH)
        waited = asyncio.get_running_loop().time() - started
    assert response.status_code == 503
    assert "within 0.3 s" in response.json()["detail"]
    assert waited < 5  # the setting reaches the pool (its default is 120 s)


async def test_healthz_needs_no_token_and_reports_the_pool() -> None:
    provider = FakeSandboxProvider()
    async with serving(provider, pool_size=2, max_concurrency=3, max_queue=4) as client:
        await until(lambda: provider.created == 2, "the pool warm")
        response = await client.get("/healthz")
        assert response.status_code == 200
        health = response.json()
        assert set(health) == set(Health.model_fields)
        assert (health["runtime"], health["image"]) == (RUNTIME["runtime"], RUNTIME["image"])
        assert health["status"] == "ok"
        assert (health["pool_size"], health["warm"], health["busy"]) == (2, 2, 0)
        assert (health["max_concurrency"], health["max_queue"], health["capacity"]) == (3, 4, 3)
        await client.post("/v1/executions", json=body(), headers=AUTH)
        assert (await client.get("/healthz")).json()["executions"] == 1


async def test_shutdown_removes_every_sandbox() -> None:
    provider = FakeSandboxProvider()
    async with serving(provider, pool_size=2, max_concurrency=2) as client:
        await client.post("/v1/executions", json=body(), headers=AUTH)
        await until(lambda: provider.created == 3, "the pool refilled")
    assert provider.live == []
    assert provider.sweeps == 2  # at start and at shutdown
