"""Session-wide fixtures: the sandbox image (built once), a running executor service, and
the guarantee that no project container outlives the test session."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import httpx
import pytest

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
    """After the whole session, no container of any test fleet may remain."""
    yield
    try:
        client = docker.from_env()
    except docker.errors.DockerException:
        return
    left = [n for n in project_containers(client) if "-test" in n]
    client.close()
    assert not left, f"sandbox containers left behind: {left}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningExecutor:
    url: str
    token: str
    fleet: str
    process: subprocess.Popen[bytes]
    log: Path


def start_executor(
    tmp: Path, *, fleet: str, pool_size: int = 2, extra_env: dict[str, str] | None = None
) -> RunningExecutor:
    """Starts the real executor service as a process and waits until it is healthy."""
    port, token = free_port(), secrets.token_urlsafe(16)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "EXECUTOR_TOKEN": token,
        "EXECUTOR_PORT": str(port),
        "EXECUTOR_POOL_SIZE": str(pool_size),
        "EXECUTOR_MAX_CONCURRENCY": str(pool_size),
        "EXECUTOR_SANDBOX__FLEET": fleet,
        "EXECUTOR_SANDBOX__IMAGE": SANDBOX_IMAGE,
        **(extra_env or {}),
    }
    log = tmp / f"executor-{fleet}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator.serve_executor"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"executor exited early:\n{log.read_text()}")
        try:
            health = httpx.get(f"{url}/healthz", timeout=2).json()
            if health["warm"] >= 1:
                return RunningExecutor(url, token, fleet, process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"executor did not become healthy:\n{log.read_text()}")


def stop_executor(executor: RunningExecutor) -> None:
    executor.process.terminate()
    try:
        executor.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        executor.process.kill()
        executor.process.wait()


@pytest.fixture(scope="session")
def executor(
    sandbox_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningExecutor]:
    """The real executor service over HTTP on loopback, with a warm pool of 2."""
    running = start_executor(tmp_path_factory.mktemp("executor"), fleet=TEST_FLEET)
    yield running
    stop_executor(running)
