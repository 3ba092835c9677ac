"""A run's executor and its sandboxes die with the run, however it is ended, and what a
hard-killed run left behind is swept by the next run's executor, never a live run's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from orchestrator.common.processes import pid_alive, process_owner
from orchestrator.executor.docker.config import LABEL_FLEET, LABEL_OWNER, LABEL_ROLE
from tests.support.executors import SANDBOX_IMAGE, TEST_FLEET, project_containers, start_executor
from tests.support.paths import REPO

pytestmark = pytest.mark.docker

GONE_WITHIN_S = 60


def a_fleet() -> str:
    return f"{TEST_FLEET}-orphan{uuid.uuid4().hex[:6]}"


def run_like_parent(log_dir: Path, fleet: str) -> subprocess.Popen[str]:
    """A process that starts a LocalExecutor as a run does, then waits to be killed."""
    starter = (
        "import time\n"
        "from pathlib import Path\n"
        "from orchestrator.client.local_executor import LocalExecutor\n"
        f"executor = LocalExecutor(Path({str(log_dir)!r}), fleet={fleet!r}, pool_size=1, "
        f"image={SANDBOX_IMAGE!r}).start()\n"
        "print(executor.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", starter], cwd=REPO, stdout=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP], ids=str)
def test_the_executor_and_its_sandboxes_die_with_the_run(
    sig: signal.Signals, docker_client: docker.DockerClient, sandbox_image: str, tmp_path: Path
) -> None:
    fleet = a_fleet()
    with run_like_parent(tmp_path, fleet) as parent:
        assert parent.stdout is not None
        executor_pid = int(parent.stdout.readline())
        assert project_containers(docker_client, fleet)
        parent.send_signal(sig)
    deadline = time.monotonic() + GONE_WITHIN_S
    while pid_alive(executor_pid) or project_containers(docker_client, fleet):
        assert time.monotonic() < deadline, (tmp_path / f"executor-{fleet}.log").read_text()
        time.sleep(0.5)


@pytest.fixture
def leftovers(docker_client: docker.DockerClient, sandbox_image: str) -> Iterator[dict[str, str]]:
    """Sandbox-labelled containers as runs leave them: owner -> container name."""
    with subprocess.Popen([sys.executable, "-c", "pass"]) as dead:
        pass
    owners = {
        "dead": process_owner(dead.pid),
        "live": process_owner(os.getpid()),
        "elsewhere": f"{uuid.uuid4()}/{dead.pid}",
    }
    names: dict[str, str] = {}
    for who, owner in owners.items():
        fleet = a_fleet()
        names[who] = f"ppb-sbx-{fleet}-leftover"
        docker_client.containers.run(
            sandbox_image,
            entrypoint=["sleep", "600"],
            name=names[who],
            labels={LABEL_ROLE: "sandbox", LABEL_FLEET: fleet, LABEL_OWNER: owner},
            network_mode="none",
            detach=True,
        )
    yield names
    for container in docker_client.containers.list(all=True, filters={"label": LABEL_OWNER}):
        if container.name in names.values():
            container.remove(force=True)


def test_a_new_executor_sweeps_only_what_dead_owners_of_this_host_left(
    leftovers: dict[str, str], docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    executor = start_executor(tmp_path, fleet=a_fleet(), pool_size=1)
    try:
        left = set(project_containers(docker_client))
    finally:
        executor.stop()
    assert leftovers["dead"] not in left
    assert leftovers["live"] in left
    assert leftovers["elsewhere"] in left
