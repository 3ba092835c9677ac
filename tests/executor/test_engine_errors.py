"""A Docker engine that fails (an API error, a lost connection) is the infrastructure's:
every call to it ends in SandboxUnavailable, which the service answers with 503 and
Retry-After, never 500. Driven over a fake engine."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from orchestrator.executor.api import ExecutionRequest, ExecutionStatus
from orchestrator.executor.app import create_app
from orchestrator.executor.docker.config import SandboxConfig
from orchestrator.executor.docker.provider import DockerSandboxProvider
from orchestrator.executor.docker.sandbox import DockerSandbox
from orchestrator.executor.sandbox import SandboxUnavailable
from orchestrator.executor.settings import ExecutorSettings
from sandbox_server.protocol import SOCKET_NAME
from tests.support.fake_docker import (
    ENGINE_FAILURES,
    FakeContainer,
    FakeDockerClient,
    api_error,
)
from tests.support.waiting import until

pytestmark = pytest.mark.anyio

FAILURES = list(ENGINE_FAILURES)
TOKEN = "engine-token"
REQUEST = ExecutionRequest(code="print(1)", timeout_s=0.5)


FAKE_CLIENTS: list[FakeDockerClient] = []


@pytest.fixture
def socket_root() -> Iterator[Path]:
    """Short enough for a unix socket path (pytest's tmp_path may not be)."""
    with tempfile.TemporaryDirectory(prefix="ppb-engine-") as root:
        yield Path(root)
        while FAKE_CLIENTS:
            FAKE_CLIENTS.pop().close()


def fake_provider(socket_root: Path, failures: dict[str, Exception]) -> DockerSandboxProvider:
    config = SandboxConfig(socket_root=socket_root, startup_timeout_s=5.0)
    client = FakeDockerClient(failures)
    FAKE_CLIENTS.append(client)
    return DockerSandboxProvider(config, client=client)  # type: ignore[arg-type]


def fake_sandbox(socket_dir: Path, failures: dict[str, Exception]) -> DockerSandbox:
    """A sandbox over a fake container; what its socket does is up to the test."""
    container = FakeContainer(FakeDockerClient(failures), "fake-sbx", {}, socket_dir=None)
    return DockerSandbox(container, socket_dir, SandboxConfig())  # type: ignore[arg-type]


@asynccontextmanager
async def sandbox_socket(socket_dir: Path, reply: bytes | None) -> AsyncIterator[None]:
    """A sandbox socket that answers `reply` to anything, or never answers (None)."""

    connections: list[asyncio.StreamWriter] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        if reply is not None:
            writer.write(reply)
            await writer.drain()
            writer.close()

    server = await asyncio.start_unix_server(answer, path=str(socket_dir / SOCKET_NAME))
    try:
        async with server:
            yield
    finally:
        for writer in connections:
            writer.close()


@pytest.mark.parametrize("failure", FAILURES)
async def test_an_engine_failure_while_reading_why_a_sandbox_went_away(
    socket_root: Path, failure: str
) -> None:
    sandbox = fake_sandbox(socket_root, {"reload": ENGINE_FAILURES[failure]})
    with pytest.raises(SandboxUnavailable, match="Docker engine failed"):
        await sandbox.execute(REQUEST)  # no socket: it is gone, and Docker cannot say why


@pytest.mark.parametrize("failure", FAILURES)
async def test_an_engine_failure_while_killing_a_timed_out_sandbox(
    socket_root: Path, failure: str
) -> None:
    sandbox = fake_sandbox(socket_root, {"kill": ENGINE_FAILURES[failure]})
    async with sandbox_socket(socket_root, reply=None):
        with pytest.raises(SandboxUnavailable, match="Docker engine failed"):
            await sandbox.execute(REQUEST)


@pytest.mark.parametrize("failure", FAILURES)
async def test_an_engine_failure_while_checking_a_crash_for_oom(
    socket_root: Path, failure: str
) -> None:
    sandbox = fake_sandbox(socket_root, {"reload": ENGINE_FAILURES[failure]})
    http_500 = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
    async with sandbox_socket(socket_root, reply=http_500):
        with pytest.raises(SandboxUnavailable, match="Docker engine failed"):
            await sandbox.execute(REQUEST)


async def test_a_sandbox_that_is_no_longer_running_is_killed_quietly(socket_root: Path) -> None:
    sandbox = fake_sandbox(socket_root, {"kill": api_error(409, "is not running")})
    async with sandbox_socket(socket_root, reply=None):
        result = await sandbox.execute(REQUEST)
    assert result.status == ExecutionStatus.TIMEOUT


@pytest.mark.parametrize("failure", FAILURES)
async def test_an_engine_failure_while_removing_a_sandbox(socket_root: Path, failure: str) -> None:
    sandbox = fake_sandbox(socket_root, {"remove": ENGINE_FAILURES[failure]})
    with pytest.raises(SandboxUnavailable, match="Docker engine failed"):
        await sandbox.destroy()


@pytest.mark.parametrize("failure", FAILURES)
async def test_an_engine_failure_while_starting_a_sandbox(socket_root: Path, failure: str) -> None:
    provider = fake_provider(socket_root, {"run": ENGINE_FAILURES[failure]})
    with pytest.raises(SandboxUnavailable, match="Docker engine failed"):
        await provider.create()
    assert list(provider.socket_root.iterdir()) == []  # its socket directory is gone too


@pytest.mark.parametrize("failure", FAILURES)
async def test_an_engine_failure_while_filling_the_venv_volume(
    socket_root: Path, failure: str
) -> None:
    provider = fake_provider(socket_root, {"fill": ENGINE_FAILURES[failure]})
    with pytest.raises(SandboxUnavailable, match="Docker engine failed in ensure_venv_volume"):
        await provider.create()
    provider.client.failures.clear()  # the engine is back: the next sandbox checks again
    sandbox = await provider.create()
    await sandbox.destroy()


@pytest.mark.parametrize("call", ["list", "remove"])
@pytest.mark.parametrize("failure", FAILURES)
async def test_an_engine_failure_while_sweeping(socket_root: Path, failure: str, call: str) -> None:
    provider = fake_provider(socket_root, {})
    await provider.create()
    provider.client.failures[call] = ENGINE_FAILURES[failure]
    with pytest.raises(SandboxUnavailable, match="Docker engine failed"):
        await provider.sweep()


@pytest.mark.parametrize("failure", FAILURES)
async def test_the_service_answers_503_and_replaces_the_sandbox(
    socket_root: Path, failure: str
) -> None:
    provider = fake_provider(socket_root, {"reload": ENGINE_FAILURES[failure]})
    client: FakeDockerClient = provider.client  # type: ignore[assignment]
    settings = ExecutorSettings(token=SecretStr(TOKEN), pool_size=1, max_concurrency=1)
    app = create_app(settings, provider=provider)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as http,
    ):
        response = await http.post(
            "/v1/executions",
            json={"code": "print(1)", "timeout_s": 5},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        assert "Docker engine failed" in response.json()["detail"]
        started = client.containers.started
        # The request may arrive before the first sandbox is warm, so the pool may have
        # started more than two: what matters is that the used one went and another is up.
        await until(
            lambda: any(c.removed for c in started) and any(not c.removed for c in started),
            "a replacement sandbox",
        )
