"""Session-wide fixtures: the Docker engine (and the guarantee that no project container
outlives the session), the sandbox image and its nbconvert variant (each built once), and a
running executor service."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import docker
import pytest

from orchestrator.client.local_executor import LocalExecutor
from tests.support.executors import (
    NBCONVERT_IMAGE,
    SANDBOX_IMAGE,
    TEST_FLEET,
    project_containers,
    start_executor,
)
from tests.support.paths import REPO


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """The Docker engine. Every test that makes sandboxes needs it, so it is the one to check,
    after the whole session, that no container of this session's fleets remains (and a
    session without Docker, `make unit`, never reaches for the engine)."""
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(f"these tests need a running Docker engine: {exc}")
    yield client
    left = [n for n in project_containers(client) if f"-{TEST_FLEET}" in n]
    client.close()
    assert not left, f"sandbox containers left behind: {left}"


@pytest.fixture(scope="session")
def sandbox_image(docker_client: docker.DockerClient) -> str:
    """Builds the sandbox image once per session (a no-op when it is up to date)."""
    subprocess.run(["make", "-s", "sandbox-image"], cwd=REPO, check=True)
    docker_client.images.get(SANDBOX_IMAGE)
    return SANDBOX_IMAGE


@pytest.fixture(scope="session")
def nbconvert_image(sandbox_image: str, docker_client: docker.DockerClient) -> str:
    """The sandbox image plus nbconvert (tests only), built once per session."""
    subprocess.run(["make", "-s", "nbconvert-image"], cwd=REPO, check=True)
    docker_client.images.get(NBCONVERT_IMAGE)
    return NBCONVERT_IMAGE


@pytest.fixture(scope="session")
def executor(
    sandbox_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalExecutor]:
    """The real executor service over HTTP on loopback, with a warm pool of 2."""
    running = start_executor(tmp_path_factory.mktemp("executor"), fleet=TEST_FLEET)
    yield running
    running.stop()
