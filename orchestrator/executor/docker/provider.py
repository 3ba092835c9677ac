"""Makes sandboxes as hardened Docker containers (see SECURITY.md), and sweeps them away.

Each container gets its own host directory, bind-mounted at the protocol's SOCKET_DIR, in
which the sandbox server creates its socket once its kernel is warm.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import stat
import time
import uuid
from pathlib import Path

import docker
import docker.errors
import httpx
from docker.models.containers import Container

from orchestrator.common.processes import owner_gone
from orchestrator.executor.api import Library
from orchestrator.executor.docker.config import (
    LABEL_FLEET,
    LABEL_OWNER,
    LABEL_ROLE,
    SandboxConfig,
    for_library,
    labels,
)
from orchestrator.executor.docker.engine import engine_call
from orchestrator.executor.docker.sandbox import DockerSandbox
from orchestrator.executor.docker.venv_volume import ensure_venv_volume
from orchestrator.executor.sandbox import Sandbox, SandboxProvider, SandboxUnavailable
from sandbox_server.protocol import HEALTH_PATH, SOCKET_NAME


class DockerSandboxProvider(SandboxProvider):
    def __init__(self, config: SandboxConfig, client: docker.DockerClient | None = None) -> None:
        self.config = config
        try:
            self.client = client or docker.from_env()
            self.client.ping()
        except docker.errors.DockerException as exc:
            raise SandboxUnavailable(
                f"cannot reach the Docker engine ({exc}); is the daemon running and is "
                "DOCKER_HOST (or /var/run/docker.sock) right?"
            ) from exc
        self.socket_root = config.socket_root / config.fleet
        self._check_setup()
        self._venv_volume: str | None = None  # checked, and filled if need be, once
        self._venv_lock = asyncio.Lock()

    def _check_setup(self) -> None:
        try:
            self.client.images.get(self.config.image)
        except docker.errors.ImageNotFound:
            raise SandboxUnavailable(
                f"the sandbox image {self.config.image} is not built; run `make images`"
            ) from None
        if self.config.runtime:
            runtimes = self.client.info().get("Runtimes", {})
            if self.config.runtime not in runtimes:
                raise SandboxUnavailable(
                    f"the Docker runtime {self.config.runtime!r} is not installed "
                    f"(have: {', '.join(sorted(runtimes))}); see SECURITY.md for gVisor"
                )

    def describe(self) -> dict[str, str]:
        return {"runtime": self.config.runtime or "runc", "image": self.config.image}

    async def create(self, library: Library | None = None) -> Sandbox:
        name = f"ppb-sbx-{self.config.fleet}-{uuid.uuid4().hex[:12]}"
        socket_dir = self.socket_root / name
        venv_volume = await self._venv()
        container = await engine_call(self._start, name, socket_dir, library, venv_volume)
        sandbox = DockerSandbox(container, socket_dir, self.config, library)
        try:
            await self._wait_ready(sandbox)
        except BaseException:
            self._venv_volume = None  # in case it was removed meanwhile: check it again
            await sandbox.destroy()
            raise
        return sandbox

    async def _venv(self) -> str | None:
        if not self.config.shared_venv:
            return None
        async with self._venv_lock:
            if self._venv_volume is None:
                self._venv_volume = await engine_call(
                    ensure_venv_volume, self.client, self.config.image
                )
            return self._venv_volume

    def _start(
        self, name: str, socket_dir: Path, library: Library | None, venv_volume: str | None
    ) -> Container:
        self._prepare_root()
        socket_dir.mkdir()
        # The container's user must create its socket here; nothing else is in this dir.
        os.chmod(socket_dir, 0o777)  # noqa: S103
        try:
            kwargs = self.config.run_kwargs(name, socket_dir, venv_volume)
            container: Container = self.client.containers.run(
                self.config.image, **for_library(kwargs, library)
            )
            return container
        except BaseException:
            # run() is create, then start: a start that failed leaves the container behind.
            with contextlib.suppress(docker.errors.NotFound):
                self.client.containers.get(name).remove(force=True)
            shutil.rmtree(socket_dir, ignore_errors=True)
            raise

    def _prepare_root(self) -> None:
        """The socket root must be a real directory of ours, not somebody's symlink."""
        self.socket_root.mkdir(mode=0o711, parents=True, exist_ok=True)
        info = os.lstat(self.socket_root)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            raise SandboxUnavailable(
                f"{self.socket_root} is not a directory owned by this user; remove it or set "
                "EXECUTOR_SANDBOX__SOCKET_ROOT"
            )
        os.chmod(self.socket_root, 0o711)  # noqa: S103 (traversable, not listable)

    async def _wait_ready(self, sandbox: DockerSandbox) -> None:
        deadline = time.monotonic() + self.config.startup_timeout_s
        checks = 0
        while not await self._answers_health_check(sandbox):
            checks += 1
            if checks % 10 == 0:
                state = await engine_call(sandbox.state)
                if not state.get("Running"):
                    logs = await engine_call(sandbox.container.logs, tail=20)
                    raise SandboxUnavailable(
                        f"sandbox {sandbox.name} exited while starting: "
                        f"{logs.decode(errors='replace')[-2000:]}"
                    )
            if time.monotonic() > deadline:
                raise SandboxUnavailable(
                    f"sandbox {sandbox.name} was not ready within "
                    f"{self.config.startup_timeout_s:g} s"
                )
            await asyncio.sleep(0.1)
        # From here on no entry may be added: code could otherwise fill the host's disk
        # through this directory. The listening socket stays connectable.
        os.chmod(sandbox.socket_dir, 0o700)

    async def _answers_health_check(self, sandbox: DockerSandbox) -> bool:
        """False while its socket is missing or bound but not yet listening."""
        if not (sandbox.socket_dir / SOCKET_NAME).exists():
            return False
        try:
            async with sandbox.http() as client:
                response = await client.get(HEALTH_PATH, timeout=10.0)
        except httpx.ConnectError:
            return False
        except httpx.HTTPError as exc:  # it died or hung between its socket and its answer
            raise SandboxUnavailable(
                f"sandbox {sandbox.name} did not answer its health check: {exc!r}"
            ) from exc
        if response.status_code != 200:
            raise SandboxUnavailable(f"sandbox {sandbox.name} failed its health check")
        return True

    async def sweep(self) -> int:
        return await engine_call(self._sweep)

    def _sweep(self) -> int:
        """This fleet's sandboxes, and those of any fleet whose owner died on this host."""
        fleet = self._remove(self._labelled(f"{LABEL_FLEET}={self.config.fleet}"))
        shutil.rmtree(self.socket_root, ignore_errors=True)
        orphans = [c for c in self._labelled(LABEL_OWNER) if owner_gone(labels(c)[LABEL_OWNER])]
        for orphan_fleet in {labels(c).get(LABEL_FLEET, "") for c in orphans} - {""}:
            shutil.rmtree(self.config.socket_root / orphan_fleet, ignore_errors=True)
        return fleet + self._remove(orphans)

    def _labelled(self, label: str) -> list[Container]:
        filters: dict[str, str | list[str] | bool] = {"label": [f"{LABEL_ROLE}=sandbox", label]}
        containers: list[Container] = self.client.containers.list(
            all=True, sparse=True, filters=filters
        )
        return containers

    def _remove(self, containers: list[Container]) -> int:
        removed = 0
        for container in containers:
            try:
                container.remove(force=True)
                removed += 1
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                if "already in progress" not in str(exc):
                    raise
        return removed
