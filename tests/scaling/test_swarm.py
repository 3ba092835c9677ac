"""compose.yaml as a Docker Swarm stack on a single-node swarm made for the test: tokens as
Docker secrets, the executor global, the judge replicated, and a benchmark run through the
dispatcher against the stack's executor."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.client.executors_setting import resolve_executors
from orchestrator.client.local_executor import has_warm_sandbox
from orchestrator.common.processes import ServiceNotHealthy, free_port, wait_until_healthy
from tests.scaling.runs import (
    assert_each_item_once,
    bench_run,
    quick_dispatcher,
    runs_by_executor,
)
from tests.support.executors import TEST_FLEET
from tests.support.llm_server import StandinLLM
from tests.support.netlab import sweep_fleet
from tests.support.paths import REPO

pytestmark = [pytest.mark.docker, pytest.mark.slow]

EXECUTOR_IMAGE = os.environ.get("EXECUTOR_IMAGE", "ppb/executor:latest")
JUDGE_IMAGE = os.environ.get("JUDGE_IMAGE", "ppb/judge:latest")
STACK = f"ppb{TEST_FLEET}"
FLEET = f"{TEST_FLEET}swarm"
STACK_LABEL = f"com.docker.stack.namespace={STACK}"


def docker(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["docker", *args], input=stdin, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"`docker {' '.join(args)}` failed: {done.stderr.strip()}")
    return done.stdout.strip()


def docker_quiet(*args: str) -> None:
    """For teardown: tries, and never hides the test's own failure behind its own."""
    subprocess.run(["docker", *args], capture_output=True, check=False)


@dataclass
class Stack:
    url: str
    tokens: dict[str, str]


def wait_ready(url: str, limit_s: float = 300) -> None:
    try:
        wait_until_healthy(f"{url}/healthz", timeout_s=limit_s, ready=has_warm_sandbox)
    except ServiceNotHealthy as exc:
        tasks = docker("stack", "ps", "--no-trunc", STACK)
        raise AssertionError(f"the stack's executor was not ready ({exc}):\n{tasks}") from exc


def wait_removed(limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and docker("ps", "-aq", "--filter", f"label={STACK_LABEL}"):
        time.sleep(1)


@pytest.fixture(scope="module")
def stack(sandbox_image: str) -> Iterator[Stack]:
    state = docker("info", "--format", "{{.Swarm.LocalNodeState}}")
    if state != "inactive":
        pytest.fail(
            f"the Docker engine is already in swarm mode ({state}); this test makes and "
            "leaves a swarm of its own: run `docker swarm leave --force` first"
        )
    subprocess.run(["make", "-s", "executor-image", "judge-image"], cwd=REPO, check=True)
    had_gwbridge = bool(docker("network", "ls", "-q", "--filter", "name=^docker_gwbridge$"))
    tokens = {
        "executor_token": secrets.token_urlsafe(24),
        "judge_token": secrets.token_urlsafe(24),
        "judge_api_key": secrets.token_urlsafe(24),
    }
    port = free_port()
    # No token in here: the services get theirs from the secrets.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "EXECUTOR_IMAGE": EXECUTOR_IMAGE,
        "JUDGE_IMAGE": JUDGE_IMAGE,
        "SANDBOX_IMAGE": sandbox_image,
        "EXECUTOR_PUBLISH_PORT": str(port),
        "EXECUTOR_FLEET": FLEET,
        "JUDGE_PUBLISH": str(free_port()),
        "JUDGE_BACKEND": "openai-compatible",
        "JUDGE_MODEL": "standin-vision",
        "JUDGE_BASE_URL": "http://127.0.0.1:9/v1",
    }
    try:
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
        for name, value in tokens.items():
            docker("secret", "create", name, "-", stdin=value)
        Path("/run/ppb-sandboxes").mkdir(mode=0o711, exist_ok=True)  # a bind source must exist
        compose = str(REPO / "compose.yaml")
        docker("stack", "deploy", "--resolve-image", "never", "-c", compose, STACK, env=env)
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        yield Stack(url=url, tokens=tokens)
    finally:
        docker_quiet("stack", "rm", STACK)
        wait_removed()  # the executor removes its sandboxes on the way out
        sweep_fleet(FLEET)
        docker_quiet("swarm", "leave", "--force")
        if not had_gwbridge:
            docker_quiet("network", "rm", "docker_gwbridge")


@pytest.mark.anyio
async def test_benchmark_runs_against_the_stack(
    stack: Stack, llm: StandinLLM, tmp_path: Path
) -> None:
    urls = await resolve_executors(stack.url)
    async with quick_dispatcher(urls, stack.tokens["executor_token"]) as dispatcher:
        records = await bench_run(
            dispatcher.execute, llm, tmp_path / "swarm", repeats=2, slots=dispatcher.slots
        )
    assert_each_item_once(records, repeats=2)
    assert set(runs_by_executor(records)) == {stack.url}


def test_stack_shape_and_secrets(stack: Stack) -> None:
    executor = json.loads(docker("service", "inspect", f"{STACK}_executor"))[0]["Spec"]
    judge = json.loads(docker("service", "inspect", f"{STACK}_judge"))[0]["Spec"]
    assert "Global" in executor["Mode"]
    assert "Replicated" in judge["Mode"]
    for spec, names in ((executor, {"executor_token"}), (judge, {"judge_token", "judge_api_key"})):
        attached = spec["TaskTemplate"]["ContainerSpec"]["Secrets"]
        assert {secret["SecretName"] for secret in attached} == names
        # Tokens travel as secrets only: no service definition holds one.
        text = json.dumps(spec)
        assert not any(token in text for token in stack.tokens.values())
