"""One sandbox's life, phase by phase, through the docker SDK with the run arguments the
executor's provider uses: create, start, wait until its server answers, then what it cost
(cgroup CPU time and idle memory), kill and remove. One at a time, nothing else running."""

from __future__ import annotations

import itertools
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import httpx
from docker.models.containers import Container

from orchestrator.common.processes import process_owner
from orchestrator.executor.api import Library
from orchestrator.executor.docker.config import SandboxConfig, for_library
from orchestrator.executor.docker.venv_volume import ensure_venv_volume
from sandbox_server.protocol import HEALTH_PATH, SOCKET_NAME

SETTLE_S = 1.0  # idle after ready before memory is read, as a warm sandbox waits in the pool


@dataclass(frozen=True)
class SandboxStart:
    create_s: float
    start_s: float
    ready_s: float  # from start() returning to the server answering its health check
    cpu_s: float  # the container's cgroup CPU time once ready
    idle_mib: float  # as `docker stats` shows it: usage minus inactive file cache
    kill_s: float  # SIGKILL until the container has exited
    remove_s: float

    @property
    def to_ready_s(self) -> float:
        return self.create_s + self.start_s + self.ready_s


class SandboxNotReady(RuntimeError):
    """The sandbox exited or did not answer in time."""


def config(image: str) -> SandboxConfig:
    # An owner, so the executor's sweep removes what a killed run of this leaves behind.
    return SandboxConfig(image=image, fleet="perf-starts", owner=process_owner(os.getpid()))


def measure(library: Library | None, repeats: int, image: str) -> list[SandboxStart]:
    sandboxes = config(image)
    client = docker.from_env()
    root = sandboxes.socket_root / sandboxes.fleet
    root.mkdir(mode=0o711, parents=True, exist_ok=True)
    venv = ensure_venv_volume(client, image) if sandboxes.shared_venv else None
    try:
        return [one_life(client, sandboxes, root, library, venv) for _ in range(repeats)]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def one_life(
    client: docker.DockerClient,
    sandboxes: SandboxConfig,
    root: Path,
    library: Library | None,
    venv_volume: str | None,
) -> SandboxStart:
    name = f"ppb-sbx-{sandboxes.fleet}-{uuid.uuid4().hex[:12]}"
    socket_dir = root / name
    socket_dir.mkdir()
    os.chmod(socket_dir, 0o777)  # the container's user binds its socket here
    kwargs = for_library(sandboxes.run_kwargs(name, socket_dir, venv_volume), library)
    del kwargs["detach"]  # an argument of run(), not of create()
    t0 = time.perf_counter()
    container: Container = client.containers.create(sandboxes.image, **kwargs)
    try:
        t1 = time.perf_counter()
        container.start()
        t2 = time.perf_counter()
        wait_ready(container, socket_dir, sandboxes.startup_timeout_s)
        t3 = time.perf_counter()
        cpu_s = snapshot(container)["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9
        time.sleep(SETTLE_S)
        idle_mib = memory_mib(snapshot(container))
        t4 = time.perf_counter()
        container.kill()
        container.wait()
        t5 = time.perf_counter()
        container.remove()
        t6 = time.perf_counter()
    except BaseException:
        container.remove(force=True)
        raise
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)
    return SandboxStart(
        create_s=t1 - t0,
        start_s=t2 - t1,
        ready_s=t3 - t2,
        cpu_s=cpu_s,
        idle_mib=idle_mib,
        kill_s=t5 - t4,
        remove_s=t6 - t5,
    )


def wait_ready(container: Container, socket_dir: Path, timeout_s: float) -> None:
    """Polls the server's health check on its socket, as the provider does."""
    deadline = time.monotonic() + timeout_s
    transport = httpx.HTTPTransport(uds=str(socket_dir / SOCKET_NAME))
    with httpx.Client(transport=transport, base_url="http://sandbox") as http:
        for polls in itertools.count(1):
            if (socket_dir / SOCKET_NAME).exists():
                try:
                    if http.get(HEALTH_PATH, timeout=10.0).status_code == 200:
                        return
                except httpx.ConnectError:
                    pass  # bound, not listening yet
            if time.monotonic() > deadline:
                raise SandboxNotReady(f"{container.name} not ready within {timeout_s:g} s")
            if polls % 20 == 0:  # the engine's answer costs CPU the sandbox is starting on
                container.reload()
                if container.status != "running":
                    logs = container.logs(tail=20).decode(errors="replace")
                    raise SandboxNotReady(f"{container.name} exited: {logs}")
            time.sleep(0.05)


def snapshot(container: Container) -> dict[str, Any]:
    """The container's stats once, without the second sample CPU percentages need."""
    stats = container.stats(stream=False, one_shot=True)
    assert isinstance(stats, dict)
    return stats


def memory_mib(stats: dict[str, Any]) -> float:
    """Usage minus the inactive file cache, the figure `docker stats` shows (cgroup v1 and
    v2 name the cache differently)."""
    memory = stats["memory_stats"]
    cache = memory["stats"].get("total_inactive_file", memory["stats"].get("inactive_file", 0))
    return float(memory["usage"] - cache) / 2**20


def image_mb(image: str) -> float:
    """The image's size as `docker images` shows it (decimal MB)."""
    return float(docker.from_env().images.get(image).attrs["Size"]) / 1e6
