"""The executor's HTTP contract, driving the real FastAPI app (and real sandboxes) in-process."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from orchestrator.client.executor_client import (
    ExecutorClient,
    ExecutorRejected,
    ExecutorUnavailable,
)
from orchestrator.executor.api import ExecutionRequest
from orchestrator.executor.app import create_app
from orchestrator.executor.docker.config import SandboxConfig
from orchestrator.executor.settings import ExecutorSettings
from tests.support.executors import TEST_FLEET

pytestmark = [pytest.mark.docker, pytest.mark.anyio]

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
async def service(sandbox_image: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = ExecutorSettings(
        token=SecretStr(TOKEN),
        pool_size=1,
        max_concurrency=1,
        max_queue=0,
        max_body_bytes=1024 * 1024,
        sandbox=SandboxConfig(image=sandbox_image, fleet=f"{TEST_FLEET}-api"),
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client,
    ):
        yield client


def body(**overrides: object) -> dict[str, object]:
    return {"code": "print(1)", "files": {}, "timeout_s": 30, **overrides}


async def test_health_needs_no_token_and_reports_the_pool(service: httpx.AsyncClient) -> None:
    response = await service.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    assert health["pool_size"] == 1
    assert health["max_concurrency"] == 1
    assert health["runtime"] == "runc"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "x"}])
async def test_missing_or_wrong_token_is_401(
    service: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await service.post("/v1/executions", json=body(), headers=headers)
    assert response.status_code == 401
    assert "EXECUTOR_TOKEN" in response.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"files": {}}, "code"),
        (body(files={"data.csv": "not base64!"}), "not valid base64"),
        (body(files={"../etc/passwd": "eA=="}), "plain name"),
        (body(files={"dir/data.csv": "eA=="}), "plain name"),
        (body(files={"/abs": "eA=="}), "plain name"),
        (body(files={"nul\x00.csv": "eA=="}), "plain name"),
        (body(files={"..": "eA=="}), "plain name"),
        (body(timeout_s=0), "timeout_s"),
        (body(timeout_s=10_000), "timeout_s"),
        (body(library="ggplot"), "library"),
        (body(code="x" * 300_000), "code"),
        (body(extra=1), "extra"),
    ],
)
async def test_bad_requests_get_a_clear_4xx(
    service: httpx.AsyncClient, payload: dict[str, object], message: str
) -> None:
    response = await service.post("/v1/executions", json=payload, headers=AUTH)
    assert response.status_code == 422
    assert message in response.text


async def test_oversized_body_is_413_before_parsing(service: httpx.AsyncClient) -> None:
    big = base64.b64encode(b"x" * 2 * 1024 * 1024).decode()
    response = await service.post(
        "/v1/executions", json=body(files={"data.csv": big}), headers=AUTH
    )
    assert response.status_code == 413
    assert "EXECUTOR_MAX_BODY_BYTES" in response.json()["detail"]


async def test_not_json_is_422(service: httpx.AsyncClient) -> None:
    response = await service.post("/v1/executions", content=b"{nope", headers=AUTH)
    assert response.status_code == 422


async def test_saturation_answers_503_with_retry_after(service: httpx.AsyncClient) -> None:
    slow = service.post(
        "/v1/executions", json=body(code="import time; time.sleep(4)"), headers=AUTH
    )
    first = asyncio.ensure_future(slow)
    await asyncio.sleep(1.0)
    second = await service.post("/v1/executions", json=body(), headers=AUTH)
    assert second.status_code == 503
    assert int(second.headers["Retry-After"]) >= 1
    assert (await first).status_code == 200


async def test_client_maps_4xx_and_unreachable_to_distinct_errors(
    service: httpx.AsyncClient,
) -> None:
    transport = service._transport  # the same ASGI app
    async with ExecutorClient("http://x", "wrong", transport=transport) as client:
        with pytest.raises(ExecutorRejected, match="401"):
            await client.execute(ExecutionRequest(code="print(1)"))
    async with ExecutorClient("http://127.0.0.1:9", TOKEN, attempts=2, max_wait_s=0.1) as client:
        with pytest.raises(ExecutorUnavailable, match="failed 2 times"):
            await client.execute(ExecutionRequest(code="print(1)"))


async def test_openapi_document_matches_the_contract(service: httpx.AsyncClient) -> None:
    spec = (await service.get("/openapi.json")).json()
    operation = spec["paths"]["/v1/executions"]["post"]
    assert {"200", "401", "413", "422", "503"} <= set(operation["responses"])
    request = spec["components"]["schemas"]["ExecutionRequest"]["properties"]
    assert set(request) == {"code", "files", "library", "timeout_s", "capture"}
    result = spec["components"]["schemas"]["ExecutionResult"]["properties"]
    assert {"status", "images", "stdout", "stderr", "error", "duration_s"} <= set(result)
    assert "/healthz" in spec["paths"]
