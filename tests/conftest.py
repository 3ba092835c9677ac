"""Session-wide fixtures: the sandbox image (built once), a running executor service, and
the guarantee that no project container outlives the test session."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from orchestrator.client.local_executor import LocalExecutor

REPO = Path(__file__).resolve().parents[1]
SANDBOX_IMAGE = os.environ.get("SANDBOX_IMAGE", "ppb/sandbox:latest")
TEST_FLEET = f"test{os.getpid()}"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(f"these tests need a running Docker engine: {exc}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def sandbox_image(docker_client: docker.DockerClient) -> str:
    """Builds the sandbox image once per session (a no-op when it is up to date)."""
    subprocess.run(["make", "-s", "sandbox-image"], cwd=REPO, check=True)
    docker_client.images.get(SANDBOX_IMAGE)
    return SANDBOX_IMAGE


def project_containers(client: docker.DockerClient, fleet: str | None = None) -> list[str]:
    labels = ["ppb.role=sandbox"] + ([f"ppb.fleet={fleet}"] if fleet else [])
    found = client.containers.list(all=True, sparse=True, filters={"label": labels})
    return [c.attrs["Names"][0].lstrip("/") for c in found]


@pytest.fixture(scope="session", autouse=True)
def no_leftover_containers() -> Iterator[None]:
    """After the whole session, no container of this session's fleets may remain."""
    yield
    try:
        client = docker.from_env()
    except docker.errors.DockerException:
        return
    left = [n for n in project_containers(client) if f"-{TEST_FLEET}" in n]
    client.close()
    assert not left, f"sandbox containers left behind: {left}"


RunningExecutor = LocalExecutor


def start_executor(
    tmp: Path, *, fleet: str, pool_size: int = 2, extra_env: dict[str, str] | None = None
) -> LocalExecutor:
    """Starts the real executor service as a process and waits until it is healthy."""
    return LocalExecutor(
        tmp, fleet=fleet, pool_size=pool_size, image=SANDBOX_IMAGE, extra_env=extra_env
    ).start()


def stop_executor(executor: LocalExecutor) -> None:
    executor.stop()


@pytest.fixture(scope="session")
def executor(
    sandbox_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningExecutor]:
    """The real executor service over HTTP on loopback, with a warm pool of 2."""
    running = start_executor(tmp_path_factory.mktemp("executor"), fleet=TEST_FLEET)
    yield running
    stop_executor(running)
