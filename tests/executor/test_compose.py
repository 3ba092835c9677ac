"""compose.yaml brings up both services, healthy, serving their contracts; down leaves nothing."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import docker
import httpx
import pytest

from orchestrator.client.local_executor import REPO
from orchestrator.common.processes import free_port
from tests.support.executors import TEST_FLEET, project_containers

pytestmark = [pytest.mark.docker, pytest.mark.slow]

COMPOSE = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]


@pytest.fixture(scope="module")
def stack(sandbox_image: str) -> Iterator[dict[str, str]]:
    subprocess.run(["make", "-s", "executor-image", "judge-image"], cwd=REPO, check=True)
    fleet = f"{TEST_FLEET}-compose"
    env = {
        **os.environ,
        "EXECUTOR_TOKEN": "compose-executor-token",
        "JUDGE_TOKEN": "compose-judge-token",
        "JUDGE_BACKEND": "openai-compatible",
        "JUDGE_MODEL": "any-vision-model",
        "JUDGE_BASE_URL": "http://127.0.0.1:9/v1",
        "EXECUTOR_FLEET": fleet,
        "EXECUTOR_PUBLISH_PORT": str(free_port()),
        "JUDGE_PUBLISH": f"127.0.0.1:{free_port()}",
    }
    project = ["-p", f"ppb{TEST_FLEET}", "-f", str(REPO / "compose.yaml")]
    subprocess.run([*COMPOSE, *project, "up", "-d"], env=env, check=True, cwd=REPO)
    try:
        yield env | {"fleet": fleet}
    finally:
        subprocess.run([*COMPOSE, *project, "down", "-v", "-t", "60"], env=env, cwd=REPO)


def wait_healthy(client: docker.DockerClient, service: str, project: str) -> None:
    filters = {
        "label": [f"com.docker.compose.service={service}", f"com.docker.compose.project={project}"]
    }
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        (container,) = client.containers.list(all=True, filters=filters)
        health = container.attrs["State"].get("Health", {}).get("Status")
        if health == "healthy":
            return
        time.sleep(1)
    raise AssertionError(f"{service} did not become healthy: {container.logs(tail=30)!r}")


def test_compose_services_become_healthy_and_serve(
    stack: dict[str, str], docker_client: docker.DockerClient
) -> None:
    project = f"ppb{TEST_FLEET}"
    wait_healthy(docker_client, "executor", project)
    wait_healthy(docker_client, "judge", project)
    executor = f"http://127.0.0.1:{stack['EXECUTOR_PUBLISH_PORT']}"
    body = {
        "code": "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])",
        "files": {"data.csv": base64.b64encode(b"a\n1\n").decode()},
        "library": "matplotlib",
        "timeout_s": 60,
    }
    headers = {"Authorization": f"Bearer {stack['EXECUTOR_TOKEN']}"}
    reply = httpx.post(f"{executor}/v1/executions", json=body, headers=headers, timeout=180)
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "ok" and len(reply.json()["images"]) == 1
    assert httpx.post(f"{executor}/v1/executions", json=body, timeout=30).status_code == 401
    judge = httpx.get(f"http://{stack['JUDGE_PUBLISH']}/healthz", timeout=10).json()
    assert "any-vision-model" in str(judge)


def test_compose_down_removes_every_sandbox(
    stack: dict[str, str], docker_client: docker.DockerClient
) -> None:
    project = ["-p", f"ppb{TEST_FLEET}", "-f", str(REPO / "compose.yaml")]
    subprocess.run([*COMPOSE, *project, "stop", "-t", "60", "executor"], env=stack, check=True)
    assert project_containers(docker_client, stack["fleet"]) == []
