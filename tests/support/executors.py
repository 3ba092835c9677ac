"""The real executor service for tests: the sandbox image it runs, this session's fleet,
starting it, and the sandbox containers left on the Docker engine."""

from __future__ import annotations

import os
from pathlib import Path

import docker

from orchestrator.client.local_executor import LocalExecutor

SANDBOX_IMAGE = os.environ.get("SANDBOX_IMAGE", "ppb/sandbox:latest")
NBCONVERT_IMAGE = os.environ.get("NBCONVERT_IMAGE", "ppb/sandbox-nbconvert:latest")
TEST_FLEET = f"test{os.getpid()}"


def start_executor(
    tmp: Path, *, fleet: str, pool_size: int = 2, extra_env: dict[str, str] | None = None
) -> LocalExecutor:
    """Starts the real executor service as a process and waits until it is healthy."""
    return LocalExecutor(
        tmp, fleet=fleet, pool_size=pool_size, image=SANDBOX_IMAGE, extra_env=extra_env
    ).start()


def project_containers(client: docker.DockerClient, fleet: str | None = None) -> list[str]:
    labels = ["ppb.role=sandbox"] + ([f"ppb.fleet={fleet}"] if fleet else [])
    found = client.containers.list(all=True, sparse=True, filters={"label": labels})
    return [c.attrs["Names"][0].lstrip("/") for c in found]
